package dev.coffer.daemon.cli.files;

import dev.coffer.esdk.Progress;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar of encrypt-file and decrypt-file (me.tongfei:progressbar, drawn on stderr):
 * bytes in MiB, rate and ETA, only when the CLI runs on a terminal ({@code System.console() !=
 * null}) and without {@code --quiet}; otherwise nothing at all, so scripts and logs stay clean.
 */
public final class ProgressBars implements AutoCloseable {

  private final ProgressBar bar;

  private ProgressBars(ProgressBar bar) {
    this.bar = bar;
  }

  /** @param total input bytes, or -1 when unknown (a pipe): the bar then shows no ETA */
  public static ProgressBars open(String task, long total, boolean quiet) {
    if (quiet || System.console() == null) {
      return new ProgressBars(null);
    }
    return new ProgressBars(new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
        .setUnit(" MiB", 1 << 20).showSpeed().setUpdateIntervalMillis(250)
        .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).build());
  }

  public Progress listener() {
    return bar == null ? Progress.NONE : bar::stepTo;
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
