/**
 * Who a request comes from: immutable value types below policy, audit and operations, with
 * nothing about any transport's protocol. A transport establishes an {@link
 * dev.coffer.daemon.identity.Identity} (the Unix socket from the kernel's peer credentials, the
 * HTTPS door from a verified signature) and may add a {@link
 * dev.coffer.daemon.identity.RequestOrigin} for the audit record.
 */
package dev.coffer.daemon.identity;
