"""Portal URLs: logs (the transaction log, dead letters, long operations' progress)."""

from django.urls import path

from integrations.views import hints, logs

urlpatterns = [
    path("transactions/", logs.transaction_list, name="transaction_list"),
    path("transactions/<int:pk>/", logs.transaction_detail, name="transaction_detail"),
    path("dead-letters/", logs.dead_letter_list, name="dead_letter_list"),
    path("dead-letters/bulk/", logs.dead_letters_bulk, name="dead_letters_bulk"),
    path("dead-letters/<int:pk>/", logs.dead_letter_detail, name="dead_letter_detail"),
    path("dead-letters/<int:pk>/replay/", logs.dead_letter_replay_view,
         name="dead_letter_replay"),
    path("dead-letters/<int:pk>/discard/", logs.dead_letter_discard_view,
         name="dead_letter_discard"),
    # The one-click fixes a dead letter's hints offer.
    path("dead-letters/<int:pk>/lookup-entry/", hints.dead_letter_lookup_entry,
         name="dead_letter_lookup_entry"),
    path("dead-letters/<int:pk>/date-format/", hints.dead_letter_date_format,
         name="dead_letter_date_format"),
    path("dead-letters/<int:pk>/sync-record/", hints.dead_letter_record_sync,
         name="dead_letter_record_sync"),
    path("dead-letters/<int:pk>/approve/", hints.dead_letter_approve,
         name="dead_letter_approve"),
    path("dead-letters/<int:pk>/link/", hints.dead_letter_link, name="dead_letter_link"),
    path("operations/", logs.operation_list, name="operation_list"),
    path("operations/<int:pk>/", logs.operation_detail, name="operation_detail"),
    path("operations/<int:pk>/progress/", logs.operation_progress, name="operation_progress"),
]
