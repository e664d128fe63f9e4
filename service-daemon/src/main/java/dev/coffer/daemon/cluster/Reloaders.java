package dev.coffer.daemon.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What a node reloads when the {@link ChangeFeed} says another node changed something: per
 * topic, the caches that hold it, each reloading the one item from the database; and, after a
 * lost feed connection (announcements missed), every cache whole.
 */
public final class Reloaders {

  private final Map<ChangeFeed.Topic, List<Consumer<String>>> byTopic = new ConcurrentHashMap<>();
  private final List<Runnable> all = new CopyOnWriteArrayList<>();

  /** Registers {@code reload} for changes of {@code topic}; it gets the payload's id. */
  public Reloaders on(ChangeFeed.Topic topic, Consumer<String> reload) {
    byTopic.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(reload);
    return this;
  }

  /** Registers a reload of a whole cache, run by {@link #reloadAll}. */
  public Reloaders onReloadAll(Runnable reloadAll) {
    all.add(reloadAll);
    return this;
  }

  /** Reloads what one announcement names. */
  public void reload(ChangeFeed.Topic topic, String id) {
    for (Consumer<String> r : byTopic.getOrDefault(topic, List.of())) {
      r.accept(id);
    }
  }

  /** Reloads every cache: announcements may have been missed. */
  public void reloadAll() {
    all.forEach(Runnable::run);
  }
}
