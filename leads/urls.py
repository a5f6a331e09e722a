"""Web routes of the leads app, one line each. Ids are `<id:...>` (crm/converters.py): 1 to 2**63 - 1."""

from django.urls import path

from crm import converters  # noqa: F401  (registers the `id` converter)
from leads.views import (
    board,
    enquiry,
    family,
    follow_ups,
    intake_inbox,
    lead_page,
    leads_list,
    public,
    session,
    trainer,
)

app_name = "leads"

urlpatterns = [
    path("", session.home, name="home"),
    path("center/", session.switch_center, name="switch_center"),
    # The public enquiry form (no login): leads/views/public.py.
    path("enquire/<slug:code>/", public.enquire, name="public_enquire"),
    path("enquire/<slug:code>/thanks/", public.thanks, name="public_thanks"),
    path("enquire/<slug:code>/book/<str:token>/", public.book, name="public_book"),
    path("enquire/<slug:code>/booking/<str:token>/", public.booking, name="public_booking"),
    path("enquire/<slug:code>/booking/<str:token>/change/", public.change_booking, name="public_booking_change"),
    # The same pages for an iframe on the center's website (no header; framing by Center.embed_origins).
    path("enquire/<slug:code>/embed/", public.enquire_embed, name="public_enquire_embed"),
    path("enquire/<slug:code>/embed/thanks/", public.thanks_embed, name="public_thanks_embed"),
    path("enquire/<slug:code>/embed/book/<str:token>/", public.book_embed, name="public_book_embed"),
    path("enquire/<slug:code>/embed/booking/<str:token>/", public.booking_embed, name="public_booking_embed"),
    path(
        "enquire/<slug:code>/embed/booking/<str:token>/change/",
        public.change_booking_embed,
        name="public_booking_change_embed",
    ),
    path("enquiries/new/", enquiry.enquiry_new, name="enquiry_new"),
    path("enquiries/new/validate/", enquiry.enquiry_validate, name="enquiry_validate"),
    path("enquiries/<id:pk>/created/", lead_page.enquiry_created, name="enquiry_created"),
    path("intake/", intake_inbox.inbox, name="intake_inbox"),
    path("intake/<id:pk>/link/", intake_inbox.link, name="intake_link"),
    path("intake/<id:pk>/dismiss/", intake_inbox.dismiss, name="intake_dismiss"),
    path("leads/", leads_list.lead_list, name="lead_list"),
    path("leads/export.csv", leads_list.lead_csv, name="lead_csv"),
    path("leads/export.xlsx", leads_list.lead_xlsx, name="lead_xlsx"),
    path("leads/<id:pk>/", lead_page.lead_detail, name="lead_detail"),
    path("leads/<id:pk>/family-export.zip", family.family_export, name="family_export"),
    path("leads/<id:pk>/consent/", lead_page.consent_action, {"name": "record"}, name="consent_record"),
    path("leads/<id:pk>/consent/withdraw/", lead_page.consent_action, {"name": "withdraw"}, name="consent_withdraw"),
    path("leads/<id:pk>/erase/", family.family_erase, name="family_erase"),
    # One route per action of the lead page (`lead_page.ACTION_NAMES`; test_urls.py checks they match).
    path("leads/<id:pk>/discovery/", lead_page.lead_action, {"name": "discovery"}, name="lead_discovery"),
    path("leads/<id:pk>/visit/", lead_page.lead_action, {"name": "visit"}, name="lead_visit"),
    path("leads/<id:pk>/follow-up/", lead_page.lead_action, {"name": "follow_up"}, name="lead_follow_up"),
    path("leads/<id:pk>/convert/", lead_page.lead_action, {"name": "convert"}, name="lead_convert"),
    path("leads/<id:pk>/close/", lead_page.lead_action, {"name": "close"}, name="lead_close"),
    path("leads/<id:pk>/reopen/", lead_page.lead_action, {"name": "reopen"}, name="lead_reopen"),
    path("leads/<id:pk>/reassign/", lead_page.lead_action, {"name": "reassign"}, name="lead_reassign"),
    path("leads/<id:pk>/note/", lead_page.lead_action, {"name": "note"}, name="lead_note"),
    path("leads/<id:pk>/child/", lead_page.lead_action, {"name": "child"}, name="lead_child"),
    path("leads/<id:pk>/add-parent/", lead_page.lead_action, {"name": "add_parent"}, name="lead_add_parent"),
    path("leads/<id:pk>/parents/<id:parent_pk>/", lead_page.parent_edit, name="lead_parent"),
    path("leads/<id:pk>/visits/<id:visit_pk>/outcome/", lead_page.visit_outcome, name="visit_outcome"),
    path(
        "leads/<id:pk>/visits/<id:visit_pk>/<str:name>/",
        lead_page.visit_action,
        name="visit_action",
    ),
    path(
        "leads/<id:pk>/follow-ups/<id:follow_up_pk>/<str:name>/",
        lead_page.follow_up_action,
        name="follow_up_action",
    ),
    path("board/", board.board, name="board"),
    path("board/column/<str:status>/", board.board_column, name="board_column"),
    path("board/move/<id:pk>/", board.move, name="board_move"),
    path("follow-ups/", follow_ups.follow_ups, name="follow_ups"),
    path("follow-ups/count/", follow_ups.follow_up_count, name="follow_up_count"),
    path("follow-ups/<id:pk>/complete/", follow_ups.complete, name="follow_up_complete"),
    path("follow-ups/<id:pk>/cancel/", follow_ups.cancel, name="follow_up_cancel"),
    path("trainer/", trainer.trainer_today, name="trainer_today"),
    path("trainer/visits/<id:pk>/", trainer.visit_card, name="trainer_visit"),
    path("trainer/visits/<id:pk>/outcome/", trainer.record_outcome, name="trainer_outcome"),
    path("trainer/visits/<id:pk>/attended/", trainer.record_attendance, name="trainer_attendance"),
    path("trainer/visits/<id:pk>/correct/", trainer.correct_outcome, name="trainer_correct"),
]
