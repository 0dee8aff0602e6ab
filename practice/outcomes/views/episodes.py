"""A client's episodes of care: the list with baseline and latest scores, opening a new one and
closing the open one with a reason. Owner and clinicians (their caseload) only; anyone else and
any client out of reach get the not-found page."""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice.measurement.selectors import definition_catalog
from practice.measurement.views_clinic.common import (
    client_or_404,
    client_zone,
    clinical_required,
    read_event,
    render_page,
)
from practice.outcomes import selectors, services
from practice.outcomes.forms import EpisodeCloseForm
from practice.outcomes.models import Episode
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.requests import PracticeRequest, SignedInRequest


def _episodes_url(client_id: int) -> str:
    return reverse("outcomes:episodes", args=[client_id])


def _page(request: PracticeRequest, client: User, *, form: EpisodeCloseForm | None = None,
          status: int = 200) -> HttpResponse:
    episodes = selectors.episodes_for_client(client)
    scores = selectors.episode_scores(episodes)
    catalog = definition_catalog({key for by_key in scores.values() for key in by_key})
    thresholds = request.tenant.reliable_change_thresholds or {}
    rows = [{"episode": episode,
             "progress": list(selectors.instrument_progress(
                 scores.get(episode.pk, {}), catalog, thresholds=thresholds).values())}
            for episode in episodes]
    read_event(request, Action.CLIENT_EPISODES_VIEWED, client)
    return render_page(request, "outcomes/episodes.html", {
        "client": client, "client_tz": client_zone(client).key, "rows": rows,
        "has_open": any(episode.is_open for episode in episodes),
        "form": form or EpisodeCloseForm(),
    }, status=status)


@clinical_required
def client_episodes(request: SignedInRequest, client_id: int) -> HttpResponse:
    return _page(request, client_or_404(request, client_id))


@require_POST
@clinical_required
def episode_open(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    try:
        services.episode_open(client=client, actor=request.actor)
    except services.EpisodeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "A new episode of care is open.")
    return HttpResponseRedirect(_episodes_url(client.pk))


def _end_moment(ended_on: date | None, client: User) -> datetime | None:
    """The end of the chosen day in the client's timezone; None (now) for today or no date."""
    zone = client_zone(client)
    if ended_on is None or ended_on == timezone.now().astimezone(zone).date():
        return None
    return datetime.combine(ended_on, time.max, tzinfo=zone)


@require_POST
@clinical_required
def episode_close(request: SignedInRequest, episode_id: int) -> HttpResponse:
    try:
        episode = selectors.episode_for_staff(request.user, episode_id)
    except Episode.DoesNotExist:
        raise Http404 from None
    form = EpisodeCloseForm(request.POST)
    if not form.is_valid():
        return _page(request, episode.client, form=form, status=400)
    data = form.cleaned_data
    try:
        services.episode_close(episode_id=episode.pk, actor=request.actor,
                               end_reason=data["end_reason"],
                               ended_at=_end_moment(data["ended_on"], episode.client),
                               note=data["note"])
    except services.EpisodeError as error:
        form.add_error(None, str(error))
        return _page(request, episode.client, form=form, status=400)
    messages.success(request, "The episode is closed.")
    return HttpResponseRedirect(_episodes_url(episode.client_id))
