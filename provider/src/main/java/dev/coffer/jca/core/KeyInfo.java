package dev.coffer.jca.core;

import java.time.Instant;

/** Public metadata of one KMS key, as {@code DescribeKey} reports it. */
public record KeyInfo(
    String arn, String keyId, Instant creationDate, String description, String keyState) {}
