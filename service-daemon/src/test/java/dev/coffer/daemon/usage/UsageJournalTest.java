package dev.coffer.daemon.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.storage.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The usage journal across crashes: counts appended but never folded (the daemon killed) are
 * folded at the next start, exactly once; a journal already folded when the daemon died (its
 * file not yet deleted) is not counted again.
 */
class UsageJournalTest {

  private static final RequestCounters.Counter ENCRYPT =
      new RequestCounters.Counter("2026-11", "arn:aws:kms:local:000000000000:key/k", "alice",
          "Encrypt");

  @TempDir Path dir;

  private Database open() throws Exception {
    return Database.open(dir.resolve("coffer.db"));
  }

  private static long[] encryptCounts(RequestCounters c) {
    long[] out = new long[2];
    for (RequestCounters.Row r : c.rows("2026-11", "2026-11", "operation")) {
      if (r.group().equals("Encrypt")) {
        out[0] += r.succeeded();
        out[1] += r.refused();
      }
    }
    return out;
  }

  @Test
  void appendedButNeverFolded_isFoldedAtTheNextStart_once() throws Exception {
    try (Database db = open()) {
      UsageJournal left = new UsageJournal(dir, 0); // a run killed before any fold
      left.append(ENCRYPT, true);
      left.append(ENCRYPT, true);
      left.append(ENCRYPT, false);
      left.close();
      RequestCounters first = new RequestCounters(db, dir);
      assertEquals(List.of(2L, 1L), List.of(encryptCounts(first)[0], encryptCounts(first)[1]));
      first.close();
      RequestCounters second = new RequestCounters(db, dir);
      assertEquals(2L, encryptCounts(second)[0], "counted again at a second start");
      second.close();
    }
  }

  @Test
  void journalFoldedBeforeTheCrash_butNotDeleted_isNotCountedAgain() throws Exception {
    try (Database db = open()) {
      RequestCounters c = new RequestCounters(db, dir);
      c.add(ENCRYPT, true);
      c.add(ENCRYPT, true);
      assertEquals(2L, encryptCounts(c)[0]);
      c.close();
      // The daemon died between the fold's commit and the file's deletion: put a folded
      // generation's file back, with records already in the table.
      long folded = db.read(tx -> {
        try (var st = tx.connection().createStatement();
            var r = st.executeQuery("SELECT generation FROM usage_journal_folds")) {
          r.next();
          return r.getLong(1);
        }
      });
      Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
      UsageJournal replay = new UsageJournal(elsewhere, folded - 1); // writes generation folded
      replay.append(ENCRYPT, true);
      replay.append(ENCRYPT, true);
      replay.close();
      Path stale = Files.move(elsewhere.resolve("usage-journal." + folded),
          dir.resolve("usage-journal." + folded));
      RequestCounters again = new RequestCounters(db, dir);
      assertEquals(2L, encryptCounts(again)[0], "a folded journal was counted twice");
      assertFalse(Files.exists(stale), "the stale journal is deleted");
      again.close();
    }
  }

  @Test
  void journalFiles_areOwnerOnly_whateverTheUmask() throws Exception {
    try (Database db = open()) {
      RequestCounters c = new RequestCounters(db, dir);
      c.add(ENCRYPT, true);
      try (var files = Files.list(dir)) {
        files.filter(f -> f.getFileName().toString().startsWith("usage-journal."))
            .forEach(f -> {
              try {
                assertEquals("0600",
                    SecureFiles.octal(Files.getPosixFilePermissions(f)), f.toString());
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
      }
      c.close();
    }
  }
  /**
   * Appends from many threads at once, while the journal rotates under them (the fold), go
   * through several channels on one file: every record must come back whole, in exactly one
   * generation, and no count may be lost or doubled.
   */
  @Test
  void concurrentAppendsDuringRotations_everyRecordReadBackWholeOnce() throws Exception {
    UsageJournal journal = new UsageJournal(dir, 0);
    int threads = 8;
    int each = 2000;
    java.util.concurrent.ConcurrentLinkedQueue<Long> rotated =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread folder = new Thread(() -> {
      try {
        while (!done.get()) {
          long g = journal.rotate();
          if (g >= 0) {
            rotated.add(g);
          }
          Thread.sleep(1);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    folder.start();
    List<Thread> appenders = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      RequestCounters.Counter c = new RequestCounters.Counter("2026-11",
          "arn:aws:kms:local:000000000000:key/" + "k".repeat(t * 7), "user" + t, "Encrypt");
      Thread a = new Thread(() -> {
        for (int n = 0; n < each; n++) {
          journal.append(c, n % 3 != 0);
        }
      });
      appenders.add(a);
      a.start();
    }
    for (Thread a : appenders) {
      a.join();
    }
    done.set(true);
    folder.join();
    long last = journal.rotate();
    if (last >= 0) {
      rotated.add(last);
    }
    journal.close();

    java.util.Map<RequestCounters.Counter, long[]> sums = new java.util.HashMap<>();
    for (long g : rotated) {
      journal.read(g, (c, ok) -> sums.computeIfAbsent(c, k -> new long[2])[ok ? 0 : 1]++);
    }
    assertEquals(threads, sums.size(), "every record read back whole: " + sums.keySet());
    for (var e : sums.entrySet()) {
      assertEquals(List.of((long) each - (each + 2) / 3, (long) (each + 2) / 3),
          List.of(e.getValue()[0], e.getValue()[1]), e.getKey().principal());
    }
  }
}
