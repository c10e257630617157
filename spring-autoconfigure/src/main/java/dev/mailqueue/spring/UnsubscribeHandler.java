package dev.mailqueue.spring;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.UnsubscribeTokens;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Answers the one-click unsubscribe links of {@code List-Unsubscribe} headers (RFC 8058):
 *
 * <ul>
 *   <li>{@code POST path?t=TOKEN} with the form field {@code List-Unsubscribe=One-Click}, as mail
 *       providers send it: a valid token puts its address on the suppression list for its scope
 *       (reason {@value #REASON}, for ever) and the answer is 200; an invalid, expired or missing
 *       token, or another body, gets 400 without saying why.
 *   <li>{@code GET path?t=TOKEN}, as a browser (or a link scanner) opens the link: 200 with a tiny
 *       page whose button makes that POST. The GET itself suppresses nothing, because mail scanners
 *       follow links.
 * </ul>
 *
 * The token is never logged, nor the address.
 */
final class UnsubscribeHandler {
  private static final Logger log = LoggerFactory.getLogger(UnsubscribeHandler.class);

  /** The reason recorded on the suppression list. */
  static final String REASON = "unsubscribed (one-click)";

  /** The page a GET answers: a button that posts to the same URL, query (the token) included. */
  private static final String PAGE =
      """
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><meta name="robots" content="noindex">
      <title>Unsubscribe</title></head>
      <body><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
      <button type="submit">Unsubscribe</button></form></body></html>
      """;

  private static final String DONE =
      """
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><title>Unsubscribed</title></head>
      <body><p>You are unsubscribed.</p></body></html>
      """;

  private final UnsubscribeTokens tokens;
  private final MailQueueAdmin admin;

  UnsubscribeHandler(UnsubscribeTokens tokens, MailQueueAdmin admin) {
    this.tokens = tokens;
    this.admin = admin;
  }

  /** POST and GET on {@code path}. */
  RouterFunction<ServerResponse> route(String path) {
    return RouterFunctions.route().POST(path, this::post).GET(path, this::get).build();
  }

  private ServerResponse post(ServerRequest request) {
    Optional<UnsubscribeTokens.Unsubscribe> u = tokens.verify(request.param("t").orElse(null));
    if (u.isEmpty() || !"One-Click".equals(request.param("List-Unsubscribe").orElse(null))) {
      return ServerResponse.badRequest().cacheControl(CacheControl.noStore()).build();
    }
    admin.suppress(u.get().address().address(), u.get().scope(), REASON, null);
    log.info(
        "one-click unsubscribe from {}",
        u.get().scope() == null ? "all mail" : "mail tagged " + u.get().scope());
    return page(ServerResponse.ok(), DONE);
  }

  private ServerResponse get(ServerRequest request) {
    if (tokens.verify(request.param("t").orElse(null)).isEmpty()) {
      return ServerResponse.badRequest().cacheControl(CacheControl.noStore()).build();
    }
    return page(ServerResponse.ok(), PAGE);
  }

  private static ServerResponse page(ServerResponse.BodyBuilder ok, String html) {
    return ok.contentType(
            new MediaType(MediaType.TEXT_HTML, java.nio.charset.StandardCharsets.UTF_8))
        .cacheControl(CacheControl.noStore())
        // the token is in the URL: send it nowhere else
        .header("Referrer-Policy", "no-referrer")
        .header("Content-Security-Policy", "default-src 'none'; form-action 'self'")
        .body(html);
  }
}
