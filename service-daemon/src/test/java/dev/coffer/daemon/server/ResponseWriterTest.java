package dev.coffer.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A connection's outbound side: what its reader and its writer thread each do. */
class ResponseWriterTest {

  private static final String WRITER = "rwtest-writer";

  /**
   * The cryptographic hot path answers on the reader thread. Once a management answer has
   * started the connection's writer thread, every later inline answer used to wake that thread
   * for nothing (one futile context switch per request, measured on direct Encrypt); the writer
   * must sleep through inline answers while nothing is queued. Counted by the kernel's tally of
   * the writer's voluntary context switches (Linux {@code /proc}).
   */
  @Test
  void inlineAnswers_doNotWakeAStartedWriterThread() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ResponseWriter writer = new ResponseWriter(SocketChannel.open(), sink,
        r -> new Thread(r, WRITER));
    try {
      // A queued answer (as a worker's) starts the writer thread, which writes it.
      assertTrue(writer.admit());
      writer.answer(new byte[] {1, 2, 3}, false);
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (writer.idleSinceNanos() == ConnectionBudget.BUSY && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(3, sink.size(), "the writer thread wrote the queued answer");
      Thread.sleep(50); // let it settle into its wait

      long before = voluntarySwitches(WRITER);
      int answers = 500;
      for (int i = 0; i < answers; i++) {
        assertTrue(writer.admit());
        writer.answer(new byte[] {4, 5}, true);
        // The time a request takes between two answers, in which a woken writer goes back to
        // sleep.
        java.util.concurrent.locks.LockSupport.parkNanos(50_000);
      }
      Thread.sleep(50);
      long woken = voluntarySwitches(WRITER) - before;

      assertEquals(3 + 2 * answers, sink.size(), "every inline answer was written");
      assertTrue(woken < answers / 20, "the writer thread woke " + woken + " times for "
          + answers + " inline answers");

      // A queued answer still reaches the writer thread.
      assertTrue(writer.admit());
      writer.answer(new byte[] {6}, false);
      while (sink.size() < 4 + 2 * answers && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(4 + 2 * answers, sink.size());
    } finally {
      writer.abort();
    }
  }

  /** Voluntary context switches of the thread named {@code name}, from /proc/self/task. */
  private static long voluntarySwitches(String name) throws IOException {
    File[] tasks = new File("/proc/self/task").listFiles();
    for (File t : tasks) {
      String comm;
      try {
        comm = Files.readString(new File(t, "comm").toPath()).trim();
      } catch (IOException gone) {
        continue;
      }
      if (!comm.equals(name)) {
        continue;
      }
      List<String> status = Files.readAllLines(new File(t, "status").toPath());
      for (String line : status) {
        if (line.startsWith("voluntary_ctxt_switches:")) {
          return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    }
    throw new AssertionError("no thread named " + name + " in /proc/self/task");
  }
}
