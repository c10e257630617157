package dev.mailqueue.spring;

import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.mail.autoconfigure.MailProperties;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * What the starter takes from {@code spring.mail.*}: read through Boot's own {@link MailProperties}
 * when the application has Boot's mail support (spring-boot-mail), so that names and conversions
 * are exactly Boot's; otherwise bound by the same names.
 *
 * @param host {@code spring.mail.host}, or null
 * @param port {@code spring.mail.port}, or null
 * @param username {@code spring.mail.username}, or null
 * @param password {@code spring.mail.password}, or null
 * @param protocol {@code spring.mail.protocol} ({@code smtp} when unset)
 * @param properties {@code spring.mail.properties.*}, JavaMail's session properties
 * @param sslEnabled {@code spring.mail.ssl.enabled}: implicit TLS, as Boot configures JavaMail
 * @param sslBundle {@code spring.mail.ssl.bundle}, or null
 */
record SpringMailSettings(
    String host,
    Integer port,
    String username,
    String password,
    String protocol,
    Map<String, String> properties,
    boolean sslEnabled,
    String sslBundle) {
  private static final String MAIL_PROPERTIES =
      "org.springframework.boot.mail.autoconfigure.MailProperties";

  SpringMailSettings {
    protocol = protocol == null || protocol.isBlank() ? "smtp" : protocol;
    properties = Map.copyOf(properties);
  }

  /**
   * {@code spring.mail.*} of {@code environment}; {@code classLoader} decides whether Boot's mail
   * support is there.
   */
  static SpringMailSettings of(Environment environment, ClassLoader classLoader) {
    Binder binder = Binder.get(environment);
    if (ClassUtils.isPresent(MAIL_PROPERTIES, classLoader)) {
      return BootMail.bind(binder);
    }
    return new SpringMailSettings(
        binder.bind("spring.mail.host", String.class).orElse(null),
        binder.bind("spring.mail.port", Integer.class).orElse(null),
        binder.bind("spring.mail.username", String.class).orElse(null),
        binder.bind("spring.mail.password", String.class).orElse(null),
        binder.bind("spring.mail.protocol", String.class).orElse(null),
        binder
            .bind("spring.mail.properties", Bindable.mapOf(String.class, String.class))
            .orElse(Map.of()),
        binder.bind("spring.mail.ssl.enabled", Boolean.class).orElse(false),
        binder.bind("spring.mail.ssl.bundle", String.class).orElse(null));
  }

  /**
   * The JavaMail session property {@code name} ({@code mail.smtp.*} names also under the protocol's
   * prefix).
   */
  String property(String name) {
    String value = properties.get(name);
    if (value == null && name.startsWith("mail.smtp.")) {
      value = properties.get("mail." + protocol + name.substring("mail.smtp".length()));
    }
    return value;
  }

  /** Whether the JavaMail session property {@code name} is "true". */
  boolean flag(String name) {
    return Boolean.parseBoolean(property(name));
  }

  /** Loaded only when {@link MailProperties} is on the class path. */
  private static final class BootMail {
    static SpringMailSettings bind(Binder binder) {
      MailProperties p = binder.bindOrCreate("spring.mail", MailProperties.class);
      return new SpringMailSettings(
          p.getHost(),
          p.getPort(),
          p.getUsername(),
          p.getPassword(),
          p.getProtocol(),
          p.getProperties(),
          p.getSsl().isEnabled(),
          p.getSsl().getBundle());
    }
  }
}
