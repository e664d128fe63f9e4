package dev.coffer.bench;

import dev.coffer.bench.support.Shows;
import org.openjdk.jmh.annotations.Fork;

/**
 * {@link ColdStartBenchmark} in JVMs whose heap pages were touched at start ({@code
 * -XX:+AlwaysPreTouch}, both peers). Every 1 MiB output array in a fresh JVM lands in heap
 * regions nobody has touched yet, so the first calls also pay the kernel's page faults (~0.4 ms
 * per 1 MiB call here, about half of Coffer's cold time); pre-touching moves that cost to JVM
 * start-up and leaves the ciphers' own cold paths. Production JVMs often run with this flag.
 */
@Shows("ColdStartBenchmark in JVMs started with -XX:+AlwaysPreTouch (both peers): the same first "
    + "32 one-shot calls on 1 MiB without the kernel's first-touch page faults on fresh heap "
    + "regions, so the ciphers' own cold paths.")
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class ColdStartPreTouchedBenchmark extends ColdStartBenchmark {}
