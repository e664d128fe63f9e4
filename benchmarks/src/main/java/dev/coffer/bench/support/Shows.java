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
}
