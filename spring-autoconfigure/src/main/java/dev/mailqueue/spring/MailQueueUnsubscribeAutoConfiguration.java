package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import dev.mailqueue.UnsubscribeTokens;
import java.util.Base64;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The one-click unsubscribe endpoint (RFC 8058) of a Spring MVC application, with {@code
 * mailqueue.unsubscribe.enabled=true} and a {@code mailqueue.unsubscribe.secret}: see {@link
 * UnsubscribeHandler}. Off by default; without spring-webmvc, or in a non-servlet application, it
 * is never there.
 */
@AutoConfiguration(after = MailQueueAutoConfiguration.class)
@ConditionalOnClass(RouterFunction.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "mailqueue.unsubscribe", name = "enabled", havingValue = "true")
@ConditionalOnBean(MailQueue.class)
@EnableConfigurationProperties(MailQueueProperties.class)
public class MailQueueUnsubscribeAutoConfiguration {

  /** Creates the configuration; Spring calls it. */
  public MailQueueUnsubscribeAutoConfiguration() {}

  /**
   * The route of the endpoint.
   *
   * @param queue the queue whose suppression list the endpoint adds to
   * @param properties {@code mailqueue.unsubscribe.*}
   * @return the route: POST and GET on {@code mailqueue.unsubscribe.path}
   * @throws IllegalStateException if the secret is missing, not base64 or shorter than 32 bytes, or
   *     the path does not start with '/'
   */
  @Bean
  public RouterFunction<ServerResponse> mailqueueUnsubscribeRoute(
      MailQueue queue, MailQueueProperties properties) {
    MailQueueProperties.Unsubscribe settings = properties.getUnsubscribe();
    String path = settings.getPath();
    if (path == null || !path.startsWith("/")) {
      throw new IllegalStateException("mailqueue.unsubscribe.path must start with '/': " + path);
    }
    return new UnsubscribeHandler(tokens(settings.getSecret()), queue.admin()).route(path);
  }

  /** The tokens of the secret; the messages never contain the secret. */
  private static UnsubscribeTokens tokens(String secret) {
    if (secret == null || secret.isBlank()) {
      throw new IllegalStateException(
          "mailqueue.unsubscribe.enabled=true needs mailqueue.unsubscribe.secret: base64 of at least "
              + UnsubscribeTokens.MIN_SECRET_BYTES
              + " random bytes, the same as the links are made with (e.g. `openssl rand -base64 32`)");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(secret.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("mailqueue.unsubscribe.secret is not base64");
    }
    try {
      return UnsubscribeTokens.of(bytes);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("mailqueue.unsubscribe.secret: " + e.getMessage(), e);
    }
  }
}
