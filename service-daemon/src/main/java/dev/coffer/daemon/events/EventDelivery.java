package dev.coffer.daemon.events;

import dev.coffer.daemon.config.StorageSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends raised {@link KeyMaterialEvent}s to the operator's webhook (an HTTP POST of the event
 * JSON) and command (run with the event JSON on standard input, no shell), on a thread of its
 * own so a slow receiver never holds up maintenance.
 *
 * <p>Delivery is at least once: a delivery is marked done only after the receiver accepted it
 * (a 2xx answer; exit status 0), so a crash in between sends it again, with the same event
 * {@code id}. A failed attempt (an error, another status, the timeout) is retried after 5 s,
 * then 10 s, 20 s, ... (doubling, at most an hour apart), up to {@code expiry-event-attempts}
 * attempts; then the daemon gives up: the last attempt and an audit record ({@link
 * #GAVE_UP_EVENT_NAME}: the event id, the target, the attempts and the last failure) commit
 * together, and the log says so too. The event itself stays in the audit log.
 */
public final class EventDelivery implements AutoCloseable {

  /** The delivery target name of {@code expiry-event-webhook}. */
  public static final String WEBHOOK = "webhook";
  /** The delivery target name of {@code expiry-event-command}. */
  public static final String COMMAND = "command";
  /** The {@code eventName} of the audit record written when a delivery is given up. */
  public static final String GAVE_UP_EVENT_NAME = "ImportedKeyMaterialEventDeliveryFailed";

  private static final Logger LOG = Logger.getLogger(EventDelivery.class.getName());
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration LONGEST_RETRY = Duration.ofHours(1);

  private final ExpiryEvents events;
  private final Optional<URI> webhook;
  private final List<String> command;
  private final Duration timeout;
  private final int maxAttempts;
  private final Clock clock;
  private final HttpClient http;
  private final ExecutorService thread;
  private final AtomicBoolean queued = new AtomicBoolean();

  /**
   * @param timeout bound of one attempt (connecting and answering; the command's run)
   * @param maxAttempts attempts per event and target
   */
  public EventDelivery(ExpiryEvents events, Optional<URI> webhook, List<String> command,
      Duration timeout, int maxAttempts, Clock clock) {
    this.events = events;
    this.webhook = webhook;
    this.command = List.copyOf(command);
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.clock = clock;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "coffer-event-delivery");
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder().connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** The targets configured: what {@link ExpiryEvents} records a delivery for. */
  public static List<String> targets(Optional<URI> webhook, List<String> command) {
    List<String> t = new java.util.ArrayList<>();
    webhook.ifPresent(u -> t.add(WEBHOOK));
    if (!command.isEmpty()) {
      t.add(COMMAND);
    }
    return t;
  }

  /** Delivers what is due, on the delivery thread; returns at once. */
  public void deliverDueSoon() {
    if (queued.compareAndSet(false, true)) {
      try {
        thread.execute(() -> {
          queued.set(false);
          deliverDue();
        });
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        queued.set(false);
      }
    }
  }

  /** Delivers what is due now, on this thread; returns how many deliveries succeeded. */
  int deliverDue() {
    int done = 0;
    try {
      for (ExpiryEvents.Pending p : events.pending(clock.instant(), maxAttempts)) {
        String failure = attempt(p);
        Instant now = clock.instant();
        int attempts = p.attempts() + 1;
        if (failure == null) {
          events.attempted(p, now, now);
          done++;
          continue;
        }
        if (attempts >= maxAttempts) {
          events.gaveUp(p, now, failure);
          LOG.severe(() -> "gave up delivering event " + p.eventId() + " to the " + p.target()
              + " after " + attempts + " attempt(s): " + failure + "; the event and this"
              + " decision (" + GAVE_UP_EVENT_NAME + ") are in the audit log");
        } else {
          Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(20, attempts - 1));
          events.attempted(p, null, now.plus(wait.compareTo(LONGEST_RETRY) > 0
              ? LONGEST_RETRY : wait));
          LOG.warning(() -> "event " + p.eventId() + " not delivered to the " + p.target()
              + " (attempt " + attempts + " of " + maxAttempts + "): " + failure
              + "; will retry");
        }
      }
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "event delivery failed; will retry", e);
    }
    return done;
  }

  /** One attempt; null when the receiver took it, else why not. */
  private String attempt(ExpiryEvents.Pending p) {
    try {
      return switch (p.target()) {
        case WEBHOOK -> webhook.isPresent() ? post(webhook.get(), p.event())
            : "expiry-event-webhook is no longer configured";
        case COMMAND -> command.isEmpty() ? "expiry-event-command is no longer configured"
            : run(p.event());
        default -> "unknown delivery target " + p.target();
      };
    } catch (IOException e) {
      return e.getClass().getSimpleName(); // its message may quote the URL (a secret)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private String post(URI to, byte[] event) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(to).timeout(timeout)
        .header("Content-Type", "application/json").header("User-Agent", "coffer")
        .POST(HttpRequest.BodyPublishers.ofByteArray(event)).build();
    HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
    // The log names the host only: webhook URLs often carry a secret in their path or query.
    return r.statusCode() / 100 == 2 ? null : "HTTP status " + r.statusCode() + " from "
        + to.getScheme() + "://" + to.getHost() + (to.getPort() < 0 ? "" : ":" + to.getPort());
  }

  private String run(byte[] event) throws IOException, InterruptedException {
    Process p = StorageSettings.withoutPassword(new ProcessBuilder(command))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(event);
    } catch (IOException e) {
      // The command may exit without reading its input; its exit status decides.
    }
    boolean finished;
    try {
      finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      p.destroyForcibly(); // the daemon is stopping: leave no command behind
      throw e;
    }
    if (!finished) {
      p.destroyForcibly();
      return command.get(0) + " did not finish within " + timeout.toSeconds() + " s";
    }
    return p.exitValue() == 0 ? null : command.get(0) + " exited with status " + p.exitValue();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
