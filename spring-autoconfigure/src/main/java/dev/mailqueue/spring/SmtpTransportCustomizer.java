package dev.mailqueue.spring;

import dev.mailqueue.smtp.RelayBuilder;

/**
 * A bean that adjusts the starter's relay {@link RelayBuilder} after {@code mailqueue.smtp.*} and
 * {@code spring.mail.*} were applied to it and before the transport is built: for what properties
 * do not express, such as {@code shaping(DestinationLimits...)}, {@code shapingListener(...)},
 * {@code trustStore(...)} or {@code oauth2(...)}. Every customizer bean is applied, in
 * {@code @Order}/{@code Ordered} order. For delivery straight to the recipients' MX hosts, define a
 * {@code MailTransport} bean ({@code SmtpTransport.direct()...build()}) instead: customizers are
 * not applied to a transport the application defines.
 */
@FunctionalInterface
public interface SmtpTransportCustomizer {
  /**
   * Adjusts {@code builder}; called once, at startup, on the thread creating the bean.
   *
   * @param builder the relay builder with the properties applied; not yet built
   */
  void customize(RelayBuilder builder);
}
