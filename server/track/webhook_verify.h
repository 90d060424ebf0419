/* How each provider's webhook proves it is the provider, as pure functions: Mailgun's
 * HMAC-SHA256 of timestamp and token, SendGrid's ECDSA P-256 signature of timestamp and
 * payload, Postmark's HTTP basic credentials, and Amazon SNS's RSA signature of the message's
 * canonical text with the certificate named by SigningCertURL. */
#ifndef MC_TRACK_WEBHOOK_VERIFY_H
#define MC_TRACK_WEBHOOK_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/buf.h"
#include "core/str.h"

/* Mailgun refuses nothing older; we refuse what is older than this, or as far in the future */
#define WEBHOOK_MAX_AGE_SECONDS 600

/* true when signature_hex is HMAC-SHA256(key, timestamp token) and timestamp is within
 * WEBHOOK_MAX_AGE_SECONDS of now */
bool webhook_mailgun_valid(const char *key, const char *timestamp, const char *token,
                           const char *signature_hex, time_t now);
/* true when signature_b64 (DER, base64) is an ECDSA signature with the P-256 key public_key_b64
 * (SubjectPublicKeyInfo DER, base64, as SendGrid shows it) of SHA-256(timestamp payload) */
bool webhook_sendgrid_valid(const char *public_key_b64, const char *timestamp, str_t payload,
                            const char *signature_b64);
/* true when authorization ("Basic base64(user:password)") carries user and password (both
 * non-empty); compared in constant time */
bool webhook_basic_valid(const char *authorization, const char *user, const char *password);

/* true when url starts with pattern, where a "*" of pattern stands for one DNS label (letters,
 * digits, '-'): "https://sns.*.amazonaws.com/"; the rest of url may not hold "..", '@', '#' or
 * a backslash */
bool webhook_sns_url_allowed(const char *pattern, const char *url);
/* Appends the text an SNS message's signature covers to out: "Key\nvalue\n" for Message,
 * MessageId, Subject (when present), Timestamp, TopicArn, Type of a Notification, and Message,
 * MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type of a subscription message.
 * returns false when a field is missing or the type is unknown. */
bool webhook_sns_string_to_sign(json_t *message, buf_t *out);
/* true when signature_b64 is the RSA signature (SignatureVersion "1": SHA1, "2": SHA256) of
 * text by the public key of the PEM certificate cert */
bool webhook_sns_signature_valid(str_t cert, str_t text, const char *signature_b64,
                                 const char *version);

#endif
