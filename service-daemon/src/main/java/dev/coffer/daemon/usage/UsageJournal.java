package dev.coffer.daemon.usage;

import dev.coffer.daemon.files.SecureFiles;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The request counts not yet folded into the database: files {@code usage-journal.<generation>}
 * (mode 0600) beside it, each a sequence of records {@code succeeded (1 byte), month, key ARN,
 * principal, operation} (each a {@link DataOutputStream#writeUTF} string), appended with one
 * {@code write} per request.
 *
 * <p>Why a journal: a count must be durable before its request is answered (so the counts match
 * a workload exactly after {@code kill -9}), and a database commit per request, even grouped,
 * cost direct {@code Encrypt} most of its rate. A {@code write} to the operating system survives
 * the daemon's death; a power loss may lose the records written since the last fold (about a
 * second), which commits with an fsync.
 *
 * <p>Not thread-safe for {@link #rotate}: {@link RequestCounters} serialises folds; {@link
 * #append} may run on any thread.
 */
final class UsageJournal implements AutoCloseable {

  private static final String PREFIX = "usage-journal.";
  private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "([0-9]{1,18})");

  /**
   * Appends go through this many channels on the current file, each behind its own lock,
   * chosen by the appending thread: one lock held across every request's {@code write} made
   * the connection threads queue on each other (most of the daemon's monitor contention under
   * 4-thread Encrypt). Each record goes out in one {@code write} to a file opened for
   * appending, which a regular file takes whole (short of a disk filling mid-record, which
   * leaves a cut record with one lock as with several), so records of different channels do
   * not mix. {@link #rotate} holds every lock.
   */
  private static final int STRIPES = 4;

  /** One channel on the current file, and the bytes it wrote there. */
  private static final class Stripe {
    final ReentrantLock lock = new ReentrantLock();
    FileChannel channel; // guarded by lock
    long written; // guarded by lock
  }

  private final Path dir;
  private final Stripe[] stripes = new Stripe[STRIPES];
  /** Threads take the stripes in turn, so a few connection threads never share one. */
  private final AtomicInteger nextStripe = new AtomicInteger();
  private final ThreadLocal<Integer> stripeOfThread =
      ThreadLocal.withInitial(() -> Math.floorMod(nextStripe.getAndIncrement(), STRIPES));
  private volatile long generation; // changed only while holding every stripe's lock
  /**
   * Counters most recently appended, encoded: a client repeating one operation on one key is
   * the common case, and encoding four strings per request was most of an append's work besides
   * the {@code write} itself. Emptied when it reaches {@link #MAX_ENCODED} entries.
   */
  private final Map<RequestCounters.Counter, byte[]> encoded = new ConcurrentHashMap<>();
  private static final int MAX_ENCODED = 1024;

  /**
   * Opens a new journal file after the highest generation present or {@code folded}, whichever
   * is higher; the older files stay for {@link #pending}.
   */
  UsageJournal(Path dir, long folded) throws IOException {
    this.dir = dir;
    long highest = folded;
    for (long g : generations()) {
      highest = Math.max(highest, g);
    }
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
    this.generation = highest + 1;
    FileChannel[] channels = openChannels(generation);
    for (int i = 0; i < STRIPES; i++) {
      stripes[i].channel = channels[i];
    }
  }

  /** The generation being appended to. */
  long current() {
    return generation;
  }

  /** A new journal file {@code g} and {@link #STRIPES} channels appending to it. */
  private FileChannel[] openChannels(long g) throws IOException {
    FileChannel[] channels = new FileChannel[STRIPES];
    channels[0] = open(g);
    try {
      for (int i = 1; i < STRIPES; i++) {
        channels[i] = FileChannel.open(dir.resolve(PREFIX + g), StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      closeAll(channels);
      throw e;
    }
    return channels;
  }

  private static void closeAll(FileChannel[] channels) throws IOException {
    IOException failed = null;
    for (FileChannel c : channels) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (IOException e) {
        failed = e;
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  private void lockAll() {
    for (Stripe st : stripes) {
      st.lock.lock();
    }
  }

  private void unlockAll() {
    for (int i = STRIPES - 1; i >= 0; i--) {
      stripes[i].lock.unlock();
    }
  }

  /**
   * A new journal file, mode 0600 whatever the umask (the attribute is applied minus the umask,
   * so the mode is set again).
   */
  private FileChannel open(long g) throws IOException {
    Path file = dir.resolve(PREFIX + g);
    FileChannel c = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, StandardOpenOption.APPEND),
        PosixFilePermissions.asFileAttribute(SecureFiles.OWNER_ONLY));
    Files.setPosixFilePermissions(file, SecureFiles.OWNER_ONLY);
    return c;
  }

  /** The generations of the journal files present, ascending. */
  List<Long> generations() throws IOException {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> {
        Matcher m = NAME.matcher(f.getFileName().toString());
        if (m.matches()) {
          out.add(Long.parseLong(m.group(1)));
        }
      });
    }
    out.sort(null);
    return out;
  }

  /**
   * Appends one request's record with one {@code write}; once this returns the record survives
   * the daemon's death.
   *
   * @throws UncheckedIOException if the file system refuses it (a full disk)
   */
  void append(RequestCounters.Counter c, boolean succeeded) {
    byte[] fields = encoded.get(c);
    if (fields == null) {
      fields = encode(c);
      if (encoded.size() >= MAX_ENCODED) {
        encoded.clear();
      }
      encoded.put(c, fields);
    }
    byte[] bytes = new byte[1 + fields.length];
    bytes[0] = (byte) (succeeded ? 1 : 0);
    System.arraycopy(fields, 0, bytes, 1, fields.length);
    ByteBuffer record = ByteBuffer.wrap(bytes);
    Stripe st = stripes[stripeOfThread.get()];
    st.lock.lock();
    try {
      while (record.hasRemaining()) {
        st.written += st.channel.write(record);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the usage journal: " + e.getMessage(), e);
    } finally {
      st.lock.unlock();
    }
  }

  /** A record's four strings, as {@link #append} writes them after the flag byte. */
  private static byte[] encode(RequestCounters.Counter c) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(c.month());
      out.writeUTF(c.keyArn());
      out.writeUTF(c.principal());
      out.writeUTF(c.operation());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * Starts a new journal file if the current one holds records.
   *
   * @return the generation of the file closed, or -1 if it held nothing
   */
  long rotate() throws IOException {
    FileChannel[] closed = new FileChannel[STRIPES];
    long g;
    lockAll();
    try {
      long written = 0;
      for (Stripe st : stripes) {
        written += st.written;
      }
      if (written == 0) {
        return -1;
      }
      FileChannel[] next = openChannels(generation + 1);
      g = generation;
      for (int i = 0; i < STRIPES; i++) {
        closed[i] = stripes[i].channel;
        stripes[i].channel = next[i];
        stripes[i].written = 0;
      }
      generation = g + 1;
    } finally {
      unlockAll();
    }
    closeAll(closed);
    return g;
  }

  /**
   * Reads the records of generation {@code g}, handing each to {@code sink} (counter,
   * succeeded). A record cut short at the end (a power loss mid-write) is ignored.
   */
  void read(long g, BiConsumer<RequestCounters.Counter, Boolean> sink) throws IOException {
    try (InputStream in = Files.newInputStream(dir.resolve(PREFIX + g));
        DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in))) {
      while (true) {
        int flag = data.read();
        if (flag < 0) {
          return;
        }
        RequestCounters.Counter c;
        try {
          c = new RequestCounters.Counter(data.readUTF(), data.readUTF(), data.readUTF(),
              data.readUTF());
        } catch (EOFException torn) {
          return;
        }
        sink.accept(c, flag == 1);
      }
    }
  }

  /** Deletes generation {@code g}, folded into the database. */
  void delete(long g) throws IOException {
    Files.deleteIfExists(dir.resolve(PREFIX + g));
  }

  @Override
  public void close() throws IOException {
    lockAll();
    try {
      FileChannel[] channels = new FileChannel[STRIPES];
      for (int i = 0; i < STRIPES; i++) {
        channels[i] = stripes[i].channel;
      }
      closeAll(channels);
    } finally {
      unlockAll();
    }
  }
}
