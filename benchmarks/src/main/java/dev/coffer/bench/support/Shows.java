package dev.coffer.bench.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a benchmark class shows, in one line; {@code ResultsReport} prints it above the class's
 * numbers in {@code RESULTS.md}. Keep it identical to the class Javadoc's first sentence.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Shows {
  String value();

  /**
   * The {@code provider} value every other peer of this class is divided by in the ratio table.
   * When the class has no row for it, the same operation and parameters are looked up in the
   * other classes of the run (so a case measured in its own JVM still gets a ratio).
   */
  String baseline() default "SunJCE";
}
