package dev.coffer.daemon.keys;

import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed.Topic;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.util.function.UnaryOperator;

/**
 * The {@link KeyRegistry} writes of one alias: {@link KeyRegistry#createAlias}, {@link
 * KeyRegistry#updateAlias} and {@link KeyRegistry#deleteAlias}.
 *
 * <p>Each resolves in the database (an insert refused when the name is taken, a re-read and
 * locked alias and target key), announces the alias in the same transaction, and only then puts
 * what was committed into the {@link KeyView}. The registry calls these under its write lock,
 * the one every writer of the node takes; nothing here takes a lock itself.
 */
final class AliasWrites {

  private final Database db;
  private final KeyView keyView;

  AliasWrites(Database db, KeyView keyView) {
    this.db = db;
    this.keyView = keyView;
  }

  /** {@link KeyRegistry#createAlias}, announced through {@code announcer}; under the write lock. */
  AliasRecord create(Announcer announcer, AliasRecord alias, AliasCheck check) {
    db.inTransaction(tx -> {
      tx.lockForWrite();
      check.check(keyView.lockKey(tx, alias.targetKeyId()), tx.aliasesOf(alias.targetKeyId()));
      if (!tx.insertAlias(alias)) {
        throw alreadyExists(alias.name());
      }
      announcer.announce(tx, Topic.ALIAS, alias.name());
      return null;
    });
    keyView.putAlias(alias.name(), alias);
    return alias;
  }

  /** {@link KeyRegistry#updateAlias}, announced through {@code announcer}; under the write lock. */
  AliasRecord update(Announcer announcer, String name, UnaryOperator<AliasRecord> change,
      AliasCheck check) {
    AliasRecord next = db.inTransaction(tx -> {
      AliasRecord stored = tx.lockAlias(name);
      if (stored == null) {
        throw new KmsException(ErrorType.NOT_FOUND,
            "alias " + name + " does not exist; create it with create-alias");
      }
      AliasRecord changed = change.apply(stored);
      check.check(keyView.lockKey(tx, changed.targetKeyId()), tx.aliasesOf(changed.targetKeyId()));
      tx.updateAlias(changed);
      announcer.announce(tx, Topic.ALIAS, name);
      return changed;
    });
    keyView.putAlias(name, next);
    return next;
  }

  /** {@link KeyRegistry#deleteAlias}, announced through {@code announcer}; under the write lock. */
  void delete(Announcer announcer, String name) {
    db.inTransaction(
        tx -> {
          if (!tx.removeAlias(name)) {
            throw new KmsException(ErrorType.NOT_FOUND,
                "alias " + name + " does not exist; list them with list-aliases");
          }
          announcer.announce(tx, Topic.ALIAS, name);
          return null;
        });
    keyView.removeAlias(name);
  }

  private static KmsException alreadyExists(String name) {
    return new KmsException(ErrorType.ALREADY_EXISTS,
        "alias " + name + " already exists; use update-alias to point it at another key");
  }
}
