package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SigV4's header value rule (trim, collapse inner whitespace runs to one space, join repeats
 * with commas) as botocore computes it ({@code ' '.join(value.split())}), whether the value
 * takes the already-collapsed path or the regex.
 */
class CanonicalHeaderValueTest {

  @Test
  void collapsedValuesPassAsTheyAre_othersAreTrimmedAndCollapsed() {
    for (String[] c : new String[][] {
        {"application/x-amz-json-1.1", "application/x-amz-json-1.1"},
        {"a b c", "a b c"},
        {" a", "a"}, {"a ", "a"}, {"a  b", "a b"}, {"a\tb", "a b"}, {"a \t b", "a b"},
        {"a\nb", "a b"}, {"a\u000Bb", "a b"}, {"a\fb", "a b"}, {"a\rb", "a b"},
        {"\t a \t", "a"}, {"", ""}, {" ", ""}, {"x", "x"}}) {
      assertEquals(c[1], CanonicalRequest.canonicalHeaderValue(List.of(c[0])),
          () -> "value [" + c[0] + "]");
    }
    assertEquals("a b,c", CanonicalRequest.canonicalHeaderValue(List.of(" a  b", "c ")));
  }
}
