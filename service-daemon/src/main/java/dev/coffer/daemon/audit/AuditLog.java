package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.UnixPeer;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The audit log: a hash-chained, signed, append-only JSON Lines log with durable group commit.
 *
 * <p>Durability contract: {@link #record} of a management event returns only after the record
 * is written and {@code fsync}ed ({@link FileChannel#force}); the daemon answers the request
 * after that. Cryptographic events are queued and {@code record} returns at once; they are
 * written and fsynced within {@link Options#cryptoFlushBound()} (100 ms by default) plus one
 * fsync. One appender thread writes everything, so under load one fsync covers many events.
 *
 * <p>Write failures (a full or failing file system): while the log cannot be written, {@link
 * #writable()} is false and every {@code record} throws, so the daemon refuses requests (fails
 * closed); the records that did not reach the disk are held in memory and written, after an
 * {@code AuditLogRecovered} record, once the log can be written again, without a restart
 * ({@link AuditOutage}, which says what is held, what is counted lost and when it retries).
 *
 * <p>Integrity contract: every record carries its global {@code sequence}, the previous record's
 * hash and its own, chained across files; every file is covered by Ed25519-signed digests
 * (periodically, and finally when the file is closed at rotation or shutdown), each digest naming
 * the previous one's SHA-256. After a crash, start-up cuts only a torn final line, seals the
 * unfinished file with a final digest, and records {@code AuditLogRecovered} at the head of the
 * next file, so the chain continues unbroken ({@link AuditRecovery}). The format is in {@link
 * AuditFiles}; the file being written and its digests are {@link AuditLogFile} and {@link
 * AuditDigests}.
 */
public final class AuditLog implements AuditSink, Closeable {

  /**
   * Tunables.
   *
   * @param maxFileBytes a file is rotated once it reaches this size
   * @param cryptoFlushBound longest a cryptographic event waits before it is written and fsynced
   * @param digestInterval how often the file being written gets an interim signed digest
   * @param queueCapacity events waiting for the appender; beyond it {@code record} blocks
   */
  public record Options(long maxFileBytes, Duration cryptoFlushBound, Duration digestInterval,
      int queueCapacity) {
    public static Options defaults() {
      return new Options(16L << 20, Duration.ofMillis(100), Duration.ofMinutes(1), 1 << 16);
    }
  }

  private static final int MAX_BATCH = 4096;
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final Path dir;
  private final String region;
  private final String account;
  private final Clock clock;
  private final Options options;
  private final AuditSigningKey key;
  private final BlockingQueue<PendingRecord> queue;
  private final ReentrantReadWriteLock closing = new ReentrantReadWriteLock();
  private final Thread appender;
  private final AuditOutage outage;
  private final AtomicLong syncs = new AtomicLong();
  private boolean closed;

  // Appender-thread state.
  private AuditDigests digests;
  private AuditLogFile file;
  private long sequence;
  private byte[] previousHash;
  private long nextDigestNanos;
  private final MessageDigest chain = AuditRecords.sha256();
  private final GrowableBuffer buffer = new GrowableBuffer();

  private AuditLog(Path home, Path dir, String region, String account, Clock clock,
      Options options) throws IOException {
    this.dir = dir;
    this.region = region;
    this.account = account;
    this.clock = clock;
    this.options = options;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    AuditFiles.requirePrivate(dir);
    AuditFiles.createPrivate(dir);
    this.key = AuditSigningKey.loadOrCreate(home, dir);
    AuditRecovery.Unsealed recovered = continueFromDisk().unsealed();
    this.outage = new AuditOutage(clock, queue, new Reopening());
    this.nextDigestNanos = System.nanoTime() + options.digestInterval().toNanos();
    this.appender = new Thread(this::appendLoop, "coffer-audit");
    appender.setDaemon(true);
    appender.start();
    if (recovered != null) {
      record(recoveredEvent(recovered.details()));
    }
  }

  /**
   * Opens the log in {@code dir} (created mode 0700), with the signing key kept in {@code
   * home}; recovers from a crash and starts a new file.
   */
  public static AuditLog open(Path home, Path dir, String region, String account, Clock clock,
      Options options) throws IOException {
    return new AuditLog(home, dir, region, account, clock, options);
  }

  @Override
  public void record(AuditEvent event) {
    record(AuditRecords.toJson(event, region, account), event.managementEvent());
  }

  /**
   * Appends a record already shaped by {@link AuditRecords} (one held in the database's outbox),
   * returning once it is durable.
   */
  public void recordShaped(byte[] record) {
    record(record, true);
  }

  /** False while the log cannot be written (then {@link #record} throws); see the class doc. */
  @Override
  public boolean writable() {
    return outage.writable();
  }

  /** Runs {@code r} (on another thread) each time the log recovers from a write failure. */
  public void onRecovered(Runnable r) {
    outage.onRecovered(r);
  }

  private void record(byte[] rec, boolean durable) {
    PendingRecord p =
        new PendingRecord(rec, durable ? new CompletableFuture<>() : null, System.nanoTime());
    ReentrantReadWriteLock.ReadLock lock = closing.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the audit log is closed");
      }
      outage.checkWritable();
      try {
        queue.put(p);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while queueing an audit record", e);
      }
    } finally {
      lock.unlock();
    }
    if (p.durable() != null) {
      LockSupport.unpark(appender);
      try {
        p.durable().join();
      } catch (CompletionException e) {
        throw new UncheckedIOException("audit record not written",
            e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
      }
    }
  }

  /** The directory of the log files. */
  Path directory() {
    return dir;
  }

  /** Archives and retention for this log's directory, signing with its key. */
  public AuditArchiver archiver() {
    return new AuditArchiver(dir, key, clock);
  }

  /**
   * Which of {@code eventIds} the log already holds, looking at the files written since {@code
   * since} (and the one open then). Used to ship each outbox record exactly once.
   */
  public java.util.Set<String> eventIdsPresent(java.util.Collection<String> eventIds,
      java.time.Instant since) throws IOException {
    return AuditFiles.eventIdsPresent(dir, eventIds, since);
  }

  /**
   * {@link #eventIdsPresent} for the log in {@code dir} without opening it: reads the files
   * only, for a command that must not write to a stopped daemon's home.
   */
  public static java.util.Set<String> eventIdsIn(Path dir, java.util.Collection<String> eventIds,
      java.time.Instant since) throws IOException {
    return AuditFiles.eventIdsPresent(dir, eventIds, since);
  }

  /** How many group commits (fsyncs of the log file) have run: a measure of batching. */
  long syncs() {
    return syncs.get();
  }

  /** Writes what is queued, seals the current file with a final digest, and stops. */
  @Override
  public void close() {
    closing.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(PendingRecord.STOP);
    } catch (IllegalStateException full) {
      // the appender drains the queue; put the stop marker when there is room
      try {
        queue.put(PendingRecord.STOP);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      closing.writeLock().unlock();
    }
    LockSupport.unpark(appender);
    try {
      appender.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ appender thread

  private void appendLoop() {
    List<PendingRecord> batch = new ArrayList<>();
    long unsyncedSince = -1;
    boolean stop = false;
    while (!stop) {
      if (!outage.writable()) {
        stop = outage.retry(false);
        unsyncedSince = -1;
        continue;
      }
      long now = System.nanoTime();
      long wait = unsyncedSince >= 0
          ? unsyncedSince + options.cryptoFlushBound().toNanos() - now
          : nextDigestNanos - now;
      // Cryptographic events do not wake this thread: it collects them every IDLE_PARK at the
      // latest, so a busy hot path costs one wake-up per batch, not one per request.
      // Management events and close() unpark it at once.
      PendingRecord first = queue.poll();
      if (first == null) {
        LockSupport.parkNanos(Math.max(0, Math.min(wait, IDLE_PARK_NANOS)));
        first = queue.poll();
      }
      if (first != null) {
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
      }
      boolean management = false;
      for (int i = 0; i < batch.size(); i++) {
        PendingRecord p = batch.get(i);
        if (p == PendingRecord.STOP) {
          stop = true;
          batch.remove(i--);
        } else if (p.durable() != null) {
          management = true;
        } else if (unsyncedSince < 0) {
          unsyncedSince = p.enqueuedNanos();
        }
      }
      try {
        if (!batch.isEmpty()) {
          append(batch);
        }
        now = System.nanoTime();
        boolean dueCrypto = unsyncedSince >= 0
            && now - unsyncedSince >= options.cryptoFlushBound().toNanos();
        if (management || dueCrypto || stop) {
          file.force();
          syncs.incrementAndGet();
          unsyncedSince = -1;
          for (PendingRecord p : batch) {
            if (p.durable() != null) {
              p.durable().complete(null);
            }
          }
        }
        if (stop) {
          file.seal();
        } else if (now - nextDigestNanos >= 0) {
          if (file.undigested()) {
            file.force();
            unsyncedSince = -1;
            file.digest();
          }
          nextDigestNanos = now + options.digestInterval().toNanos();
        }
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        outage.failed(e, batch);
        if (stop) {
          outage.retry(true);
        }
      }
      batch.clear();
    }
  }

  /** Chains and writes one batch, rotating by size between records. */
  private void append(List<PendingRecord> batch) throws IOException, GeneralSecurityException {
    buffer.reset();
    for (PendingRecord p : batch) {
      long bytes = file.bytes() + buffer.size();
      if (bytes >= options.maxFileBytes() && bytes > 0) {
        flushBuffer();
        rotate();
      }
      chainInto(p);
    }
    flushBuffer();
  }

  /**
   * Appends {@code record} (ending in '}') as {@code record-minus-brace ,"sequence":n,
   * "previousHash":"hex"} then {@code ,"hash":"hex"}}.
   */
  private void chainInto(PendingRecord p) {
    byte[] record = p.record();
    long seq = ++sequence;
    p.sequence = seq;
    String prevHex = AuditFiles.HEX.formatHex(previousHash);
    byte[] link = (",\"sequence\":" + seq + ",\"previousHash\":\"" + prevHex + "\"")
        .getBytes(StandardCharsets.US_ASCII);
    int start = buffer.size();
    buffer.write(record, 0, record.length - 1);
    buffer.write(link, 0, link.length);
    chain.update(previousHash);
    chain.update(buffer.array(), start, buffer.size() - start);
    chain.update((byte) '}');
    byte[] hash = chain.digest();
    String hex = AuditFiles.HEX.formatHex(hash);
    byte[] tail = (",\"hash\":\"" + hex + "\"}\n").getBytes(StandardCharsets.US_ASCII);
    buffer.write(tail, 0, tail.length);
    previousHash = hash;
    file.counted(seq, hex);
  }

  private void flushBuffer() throws IOException {
    if (buffer.size() == 0) {
      return;
    }
    file.write(buffer.array(), buffer.size());
    buffer.reset();
  }

  /** Seals the current file with a final digest and starts the next. */
  private void rotate() throws IOException, GeneralSecurityException {
    file.force();
    file.seal();
    file = AuditLogFile.create(dir, file.sequence() + 1, clock, digests);
  }

  /**
   * Takes the chain and digest state from disk ({@link AuditRecovery}, which seals an unsealed
   * file) and starts the next file.
   *
   * @return where the chain stands; its {@code unsealed()} is the file recovery sealed, for
   *     {@code AuditLogRecovered}, null after a clean close
   */
  private AuditRecovery.ChainHead continueFromDisk() throws IOException {
    AuditRecovery.ChainHead head = AuditRecovery.recover(dir, key, clock);
    sequence = head.sequence();
    previousHash = AuditFiles.HEX.parseHex(head.lastRecordHash());
    digests = new AuditDigests(dir, key, clock, head.digests());
    file = AuditLogFile.create(dir, head.fileSequence() + 1, clock, digests);
    return head;
  }

  private AuditEvent recoveredEvent(ObjectNode details) {
    return new AuditEvent(clock.instant(), "AuditLogRecovered", UnixPeer.daemon(), -1, details,
        null, null, null, List.of(), true, false);
  }

  /** The appender's side of continuing after a write failure. */
  private final class Reopening implements AuditOutage.Appender {

    @Override
    public AuditRecovery.ChainHead reopenFromDisk() throws IOException {
      try {
        file.close();
      } catch (IOException ignored) {
        // the file is re-read from disk
      }
      return continueFromDisk();
    }

    @Override
    public void writeRecovered(ObjectNode details, List<PendingRecord> records)
        throws IOException, GeneralSecurityException {
      List<PendingRecord> batch = new ArrayList<>();
      batch.add(new PendingRecord(AuditRecords.toJson(recoveredEvent(details), region, account),
          null, System.nanoTime()));
      batch.addAll(records);
      append(batch);
      file.force();
      syncs.incrementAndGet();
    }

    @Override
    public void seal() throws IOException, GeneralSecurityException {
      file.seal();
    }
  }
}
