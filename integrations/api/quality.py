"""The API of the data-quality checks: a flow's settings, and the review of held records."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.serializers import CountSerializer
from integrations.models import DeadLetter, Flow
from integrations.quality.hints import link_choices
from integrations.services.quality import (
    APPLIES,
    CHECKS,
    HeldForReview,
    QualitySettingsError,
    dead_letter_link,
    dead_letters_approve,
    flow_quality_set,
    quality_settings,
)


class FlowQualitySerializer(serializers.Serializer):
    applies = serializers.ListField(child=serializers.ChoiceField(choices=CHECKS),
                                    help_text="The checks that apply to this flow's entity.")
    settings = serializers.DictField(
        child=serializers.DictField(),
        help_text="Each check's settings over the defaults: address {enabled, invalid: "
                  "flag|hold}, dedupe {enabled, action: link|review, threshold 0–1}, anomaly "
                  "{enabled, action: flag|hold, sensitivity, price_change_pct, min_history, "
                  "volume}.")


class LinkSerializer(serializers.Serializer):
    target_id = serializers.CharField(help_text="The existing target record to link to: the "
                                                "match or another candidate the check found.")


def _answer(flow: Flow) -> Response:
    return Response({"applies": [c for c in CHECKS if flow.entity in APPLIES[c]],
                     "settings": quality_settings(flow)})


@extend_schema(tags=["flows"])
class FlowQualityView(APIView):
    """A flow's data-quality checks: which run and what a finding does."""

    @extend_schema(responses=FlowQualitySerializer, summary="A flow's data-quality settings.")
    def get(self, request: Request, pk: int) -> Response:
        return _answer(get_object_or_404(Flow, pk=pk))

    @extend_schema(request=serializers.DictField(), responses=FlowQualitySerializer,
                   summary="Change some of a flow's data-quality settings (checks and "
                           "settings not named keep theirs).",
                   examples=[OpenApiExample("Link likely duplicates", request_only=True,
                                            value={"dedupe": {"enabled": True,
                                                              "action": "link"}})])
    def patch(self, request: Request, pk: int) -> Response:
        flow = get_object_or_404(Flow, pk=pk)
        try:
            flow_quality_set(flow=flow, settings=request.data)
        except QualitySettingsError as exc:
            raise ValidationError({"quality": [str(exc)]}) from None
        return _answer(flow)


def _held(pk: int) -> DeadLetter:
    letter = get_object_or_404(DeadLetter.objects.select_related("event"), pk=pk)
    if letter.error_class != HeldForReview.__name__:
        raise ValidationError({"non_field_errors": [
            f"Dead letter {pk} was not held by a data-quality check ({letter.error_class}); "
            "replay or discard it instead."]})
    if letter.resolution != DeadLetter.Resolution.OPEN:
        raise ValidationError({"non_field_errors": [f"Dead letter {pk} is already "
                                                    f"{letter.resolution}."]})
    return letter


@extend_schema(tags=["dead letters"])
class DeadLetterApproveView(APIView):
    @extend_schema(request=None, responses=CountSerializer,
                   summary="Approve a record a data-quality check held: it is replayed "
                           "without that check.")
    def post(self, request: Request, pk: int) -> Response:
        letter = _held(pk)
        return Response({"count": dead_letters_approve(
            letters=DeadLetter.objects.filter(pk=letter.pk), by=request.user.email)})


@extend_schema(tags=["dead letters"])
class DeadLetterLinkView(APIView):
    @extend_schema(request=LinkSerializer, responses=CountSerializer,
                   summary="Link a record held as a likely duplicate to an existing target "
                           "record the check found, and replay it as an update.")
    def post(self, request: Request, pk: int) -> Response:
        letter = _held(pk)
        form = LinkSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        target_id = form.validated_data["target_id"].strip()
        found = {c["target_id"] for p in letter.problems if isinstance(p, dict)
                 for c in link_choices(p.get("data") or {})}
        if target_id not in found:
            raise ValidationError({"target_id": [
                f"{target_id} is not one of the records the duplicate check found: "
                f"{', '.join(sorted(found)) or 'none'}."]})
        return Response({"count": int(dead_letter_link(letter=letter, target_id=target_id,
                                                       by=request.user.email))})
