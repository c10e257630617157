package dev.mailqueue.spring;

import dev.mailqueue.jdbc.JdbcMailStore;

/**
 * A bean that adjusts the starter's {@link JdbcMailStore.Builder} after {@code mailqueue.jdbc.*}
 * was applied to it and before the store is built, for what properties do not express. Every
 * customizer bean is applied, in {@code @Order}/{@code Ordered} order. Not applied when the
 * application defines its own {@code MailStore} bean.
 */
@FunctionalInterface
public interface JdbcMailStoreCustomizer {
  /**
   * Adjusts {@code builder}; called once, at startup, on the thread creating the bean.
   *
   * @param builder the builder with the starter's settings applied; not yet built
   */
  void customize(JdbcMailStore.Builder builder);
}
