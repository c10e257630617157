package dev.mailqueue.examples.spring;

import dev.mailqueue.InvalidMailException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /password-reset?email=...}, optionally with an {@code Idempotency-Key} header that
 * makes a retried request harmless. Answers 202 whether or not the address belongs to a user, so
 * that the endpoint does not tell who has an account; 400 for a malformed address or key.
 */
@RestController
class PasswordResetController {
  private static final Logger log = LoggerFactory.getLogger(PasswordResetController.class);

  private final PasswordResetService resets;

  PasswordResetController(PasswordResetService resets) {
    this.resets = resets;
  }

  @PostMapping("/password-reset")
  ResponseEntity<Void> requestReset(
      @RequestParam("email") String email,
      @RequestHeader(name = "Idempotency-Key", required = false) String requestKey) {
    try {
      if (requestKey == null) {
        resets.requestReset(email);
      } else {
        resets.requestReset(email, requestKey);
      }
    } catch (UnknownUserException e) {
      log.info("password reset for an unknown address: nothing stored, nothing sent");
    }
    return ResponseEntity.accepted().build();
  }

  @ExceptionHandler({InvalidMailException.class, IllegalArgumentException.class})
  ResponseEntity<String> badRequest(RuntimeException e) {
    return ResponseEntity.badRequest().body(e.getMessage() + "\n");
  }
}
