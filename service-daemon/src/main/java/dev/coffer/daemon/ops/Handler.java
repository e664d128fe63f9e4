package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One operation: validated input in, AWS-shaped output out, AWS exceptions for refusals. */
@FunctionalInterface
public interface Handler {
  ObjectNode handle(Caller caller, Input input);
}
