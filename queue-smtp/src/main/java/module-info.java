/**
 * mailqueue's SMTP transport ({@link dev.mailqueue.smtp.SmtpTransport}): relay or direct to MX,
 * with Eclipse Angus Mail. Only {@code dev.mailqueue.smtp} is exported.
 */
module dev.mailqueue.smtp {
  // the transport implements the SPI and its public methods take and return API types
  requires transitive dev.mailqueue.api;
  requires static org.jspecify;
  requires jakarta.mail;
  requires org.eclipse.angus.mail;
  requires org.slf4j;
  requires org.dnsjava;
  // per-destination shaping (automatic modules)
  requires io.github.resilience4j.core;
  requires io.github.resilience4j.ratelimiter;
  requires io.github.resilience4j.bulkhead;
  requires io.github.resilience4j.circuitbreaker;
  // only for MicrometerShapingListener, whose constructor takes a MeterRegistry (an optional
  // dependency and an automatic module): applications without Micrometer never load it
  requires static transitive micrometer.core;

  exports dev.mailqueue.smtp;
}
