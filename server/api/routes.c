/* The route table. docs/api/openapi.yaml lists the same routes with the same roles
 * (x-mailcast-role); a test keeps them equal. Each API route names the least role it needs:
 * viewer reads (but not exports of personal data), editor changes the audience, content,
 * campaigns and automations, admin manages users, everyone's tokens and webhooks. */
#include "api/api.h"
#include "api/internal.h"

void api_routes_register(http_router *r)
{
    http_router_add(r, "GET", "/healthz", api_healthz, 0);
    http_router_add(r, "GET", "/metrics", api_metrics, 0);

    /* public pages: no login; tokens in the path are signed */
    http_router_add(r, "GET", "/subscribe", api_public_subscribe_form, 0);
    http_router_add(r, "POST", "/subscribe", api_public_subscribe, 0);
    http_router_add(r, "GET", "/confirm/{token}", api_public_confirm, 0);
    http_router_add(r, "GET", "/preferences/{token}", api_public_preferences, 0);
    http_router_add(r, "POST", "/preferences/{token}", api_public_preferences_save, 0);
    http_router_add(r, "GET", "/public/style.css", api_public_stylesheet, 0);
    /* bounce and complaint webhooks: each checks its provider's signature or credentials */
    http_router_add(r, "POST", "/webhooks/ses", api_webhooks_ses, 0);
    http_router_add(r, "POST", "/webhooks/sendgrid", api_webhooks_sendgrid, 0);
    http_router_add(r, "POST", "/webhooks/postmark", api_webhooks_postmark, 0);
    http_router_add(r, "POST", "/webhooks/mailgun", api_webhooks_mailgun, 0);

    /* tracked mail: signed tokens, answered without waiting on the database */
    http_router_add(r, "GET", "/t/c/{token}", api_track_click, ROUTE_QUIET);
    http_router_add(r, "HEAD", "/t/c/{token}", api_track_click, ROUTE_QUIET);
    http_router_add(r, "GET", "/t/o/{file}", api_track_open, ROUTE_QUIET);
    http_router_add(r, "HEAD", "/t/o/{file}", api_track_open, ROUTE_QUIET);
    /* a rendered preview for the dashboard's sandboxed frame: the key in the path is the
     * credential */
    http_router_add(r, "GET", "/preview/{key}", api_preview_frame, 0);

    http_router_add(r, "POST", "/api/v1/auth/login", api_auth_login, ROUTE_API | ROUTE_PUBLIC);
    http_router_add(r, "POST", "/api/v1/auth/logout", api_auth_logout, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/auth/me", api_auth_me, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PATCH", "/api/v1/auth/me", api_auth_me_patch, ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/outbox", api_outbox_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/outbox/{name}", api_outbox_get, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/outbox/{name}/parts", api_outbox_parts,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/outbox/{name}/html", api_outbox_html,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/templates", api_templates_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/templates", api_templates_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/templates/{id}", api_templates_get,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PUT", "/api/v1/templates/{id}", api_templates_put,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "PATCH", "/api/v1/templates/{id}", api_templates_patch,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/templates/{id}", api_templates_delete,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/templates/{id}/preview", api_templates_preview,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/templates/preview", api_templates_preview_source,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/campaigns", api_campaigns_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/campaigns", api_campaigns_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/campaigns/stats", api_campaigns_stats_compare,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/campaigns/audience", api_campaigns_audience,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/campaigns/{id}", api_campaigns_get,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PUT", "/api/v1/campaigns/{id}", api_campaigns_put,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "PATCH", "/api/v1/campaigns/{id}", api_campaigns_patch,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/campaigns/{id}", api_campaigns_delete,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/duplicate", api_campaigns_duplicate,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/schedule", api_campaigns_schedule,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/send", api_campaigns_send,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/pause", api_campaigns_pause,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/resume", api_campaigns_resume,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/cancel", api_campaigns_cancel,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/campaigns/{id}/progress", api_campaigns_progress,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/campaigns/{id}/test", api_campaigns_test,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/campaigns/{id}/stats", api_campaigns_stats,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/messages/{id}", api_messages_get, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/tx", api_tx_create, ROUTE_API | ROUTE_EDITOR);

    http_router_add(r, "GET", "/api/v1/users", api_users_list, ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "POST", "/api/v1/users", api_users_create, ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "GET", "/api/v1/users/{id}", api_users_get, ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "PATCH", "/api/v1/users/{id}", api_users_patch, ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "DELETE", "/api/v1/users/{id}", api_users_delete, ROUTE_API | ROUTE_ADMIN);

    http_router_add(r, "GET", "/api/v1/settings/relays", api_settings_relays,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "POST", "/api/v1/settings/relays/{name}/test", api_settings_relays_test,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "GET", "/api/v1/settings/dkim", api_settings_dkim, ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "GET", "/api/v1/deliverability/check", api_deliverability_check,
                    ROUTE_API | ROUTE_ADMIN);

    http_router_add(r, "GET", "/api/v1/tokens", api_tokens_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/tokens", api_tokens_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/tokens/{id}", api_tokens_revoke,
                    ROUTE_API | ROUTE_EDITOR);

    http_router_add(r, "GET", "/api/v1/subscribers", api_subscribers_list,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/subscribers", api_subscribers_create,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/subscribers/bulk", api_subscribers_bulk,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/subscribers/export", api_subscribers_export,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/subscribers/{id}", api_subscribers_get,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PUT", "/api/v1/subscribers/{id}", api_subscribers_put,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "PATCH", "/api/v1/subscribers/{id}", api_subscribers_patch,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/subscribers/{id}", api_subscribers_delete,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/subscribers/{id}/export", api_subscribers_person_export,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/subscribers/{id}/erase", api_subscribers_erase,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/subscribers/{id}/bounces", api_subscribers_bounces,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/bounces", api_bounces_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/subscribers/{id}/activity", api_subscribers_activity,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "POST", "/api/v1/events", api_events_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/subscribers/{id}/events", api_subscribers_events,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/lists", api_lists_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/lists", api_lists_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/lists/{id}", api_lists_get, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PUT", "/api/v1/lists/{id}", api_lists_put, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "PATCH", "/api/v1/lists/{id}", api_lists_patch, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/lists/{id}", api_lists_delete, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "PUT", "/api/v1/lists/{id}/subscribers", api_lists_members_put,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/lists/{id}/subscribers", api_lists_members_delete,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/lists/{id}/growth", api_lists_growth,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/segments", api_segments_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/segments", api_segments_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/segments/evaluate", api_segments_evaluate,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/segments/{id}", api_segments_get, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PUT", "/api/v1/segments/{id}", api_segments_put, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/segments/{id}", api_segments_delete,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/segments/{id}/count", api_segments_count,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/segments/{id}/preview", api_segments_preview,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/triggers", api_triggers_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/triggers", api_triggers_create, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/triggers/{id}", api_triggers_get, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "PUT", "/api/v1/triggers/{id}", api_triggers_put, ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "PATCH", "/api/v1/triggers/{id}", api_triggers_patch,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "DELETE", "/api/v1/triggers/{id}", api_triggers_delete,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/triggers/{id}/pause", api_triggers_pause,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "POST", "/api/v1/triggers/{id}/resume", api_triggers_resume,
                    ROUTE_API | ROUTE_EDITOR);
    http_router_add(r, "GET", "/api/v1/triggers/{id}/stats", api_triggers_stats,
                    ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/triggers/{id}/enrollments", api_triggers_enrollments,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/imports", api_imports_list, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "POST", "/api/v1/imports", api_imports_create,
                    ROUTE_API | ROUTE_EDITOR | ROUTE_UPLOAD);
    http_router_add(r, "GET", "/api/v1/imports/{id}", api_imports_get, ROUTE_API | ROUTE_VIEWER);
    http_router_add(r, "GET", "/api/v1/imports/{id}/errors", api_imports_errors,
                    ROUTE_API | ROUTE_VIEWER);

    http_router_add(r, "GET", "/api/v1/webhooks", api_outgoing_webhooks_list,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "POST", "/api/v1/webhooks", api_outgoing_webhooks_create,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "GET", "/api/v1/webhooks/{id}", api_outgoing_webhooks_get,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "PUT", "/api/v1/webhooks/{id}", api_outgoing_webhooks_put,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "PATCH", "/api/v1/webhooks/{id}", api_outgoing_webhooks_patch,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "DELETE", "/api/v1/webhooks/{id}", api_outgoing_webhooks_delete,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "GET", "/api/v1/webhooks/{id}/deliveries", api_outgoing_webhooks_deliveries,
                    ROUTE_API | ROUTE_ADMIN);
    http_router_add(r, "POST", "/api/v1/webhooks/{id}/test", api_outgoing_webhooks_test,
                    ROUTE_API | ROUTE_ADMIN);
}
