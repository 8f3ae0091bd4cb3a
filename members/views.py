import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from copf.middleware import forget_visit_zone, keep_profile_zone, remember_visit_zone
from meetings import display, feeds, ical
from meetings.models import Meeting, Series
from meetings.selectors import with_practice

from . import accounts, links, selectors, services
from .forms import DeleteAccountForm, ProfileForm, RsvpForm, TimezoneAnswerForm, ZoneAnswer
from .models import Rsvp, User
from .practice.access import is_organizer
from .practice.attendance import my_record


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` field if it is a path in this site, else the fallback.

    Only a path: our pages send nothing else, and a bare word (`next=0`) would be taken
    for a view name by `redirect()`.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def refuse(request: HttpRequest, meeting: Meeting, message: str, *, status: int) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(
        request,
        "members/rsvp_refused.html",
        {
            "meeting": meeting,
            "message": message,
            "back": safe_next(request, meeting.get_absolute_url()),
        },
        status=status,
    )


@require_POST
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting, pk=pk)
    if not request.user.is_authenticated:
        if wants_json(request):
            return JsonResponse({"error": "Sign in to answer."}, status=401)
        return login_then(request, meeting.get_absolute_url())
    form = RsvpForm(request.POST)
    if not form.is_valid():
        return refuse(request, meeting, "Answer yes, maybe or no.", status=400)
    if not selectors.is_verified(request.user):
        services.hold_answer(
            user=request.user, meeting=meeting, response=form.cleaned_data["response"]
        )
        return refuse(
            request,
            meeting,
            _(
                "Confirm your e-mail address first: open the link we sent you, or ask for a "
                "new one. Your answer is recorded as soon as you do."
            ),
            status=403,
        )
    try:
        result = services.set_rsvp(
            user=request.user, meeting=meeting, response=form.cleaned_data["response"]
        )
    except services.RsvpRefused as refusal:
        return refuse(request, meeting, str(refusal), status=409)
    message = selectors.rsvp_message(result.rsvp)
    if wants_json(request):
        counts = selectors.answer_counts(meeting)
        return JsonResponse(
            {
                "response": result.rsvp.response,
                "waitlist_position": result.waitlist_position,
                "message": message,
                "coming": counts["coming"],
                "coming_text": render_to_string(
                    "members/_coming_count.html",
                    {"counts": counts, "capacity": meeting.effective_capacity},
                ).strip(),
                "names": selectors.names_coming(meeting),
            }
        )
    messages.success(request, message)
    return redirect(safe_next(request, meeting.get_absolute_url()))


@require_safe
def rsvp_start(request: HttpRequest, pk: int, response: str) -> HttpResponse:
    """Where a visitor's Yes / Maybe / No leads: sign-up (or log-in) and back to the
    meeting, with the answer kept until they can give it. A member gets the button."""
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    if response not in Rsvp.Response.values:
        return refuse(request, meeting, _("Answer yes, maybe or no."), status=400)
    label = Rsvp.Response(response).label
    if not request.user.is_authenticated:
        accounts.remember_answer(request, meeting=meeting, response=response)
        messages.info(
            request,
            _(
                "Join CoP-F to answer “%(answer)s” to %(title)s, or log in if you are a "
                "member. Your answer is recorded as soon as you can answer."
            )
            % {"answer": label, "title": meeting.title},
        )
        back = urlencode({"next": meeting.get_absolute_url()})
        return redirect(f"{reverse('account_signup')}?{back}")
    return render(
        request,
        "members/rsvp_start.html",
        {"meeting": meeting, "response": response, "label": label},
    )


def login_then(request: HttpRequest, back: str) -> HttpResponse:
    return redirect_to_login(safe_next(request, back))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect("members:profile")
        status = 400
    else:
        status = 200
    return render(
        request,
        "members/profile.html",
        {
            "form": form,
            "verified": selectors.is_verified(request.user),
            "organizer": is_organizer(request.user),
            "followed": selectors.followed_series(user=request.user),
            "all_series": Series.objects.order_by("start_time", "name"),
            "answers": selectors.my_upcoming_answers(
                user=request.user, zone=request.viewer_timezone.zone
            ),
            "record": [
                (display.localize(entry.meeting, request.viewer_timezone.zone), entry)
                for entry in my_record(user=request.user)
            ],
            **display.feed_links(
                reverse("members:personal_feed", kwargs={"token": request.user.feed_token}),
                title="Your personal calendar feed",
                feed_id="personal",
            ),
        },
        status=status,
    )


@login_required
@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    if request.POST.get("action") == "unfollow":
        services.unfollow_series(user=request.user, series=series)
        messages.success(request, f"You no longer follow {series.name}.")
    elif request.POST.get("action") == "follow":
        services.follow_series(user=request.user, series=series)
        messages.success(request, f"You follow {series.name}.")
    else:
        messages.error(request, "Choose follow or unfollow.")
        return HttpResponseRedirect(safe_next(request, series.get_absolute_url()), status=303)
    return redirect(safe_next(request, series.get_absolute_url()))


@login_required
def export(request: HttpRequest) -> HttpResponse:
    data = services.export_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="copf-my-data.json"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.delete_account(user=user)
        messages.success(request, "Your account and all your answers are deleted.")
        return redirect("meetings:schedule")
    status = 400 if request.method == "POST" else 200
    return render(request, "members/delete_account.html", {"form": form}, status=status)


@require_safe
def personal_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = get_object_or_404(User, feed_token=token, is_active=True)
    meetings = selectors.personal_feed_meetings(user=user)
    version = selectors.personal_feed_version(user=user, meetings=meetings)

    def build() -> bytes:
        notes = selectors.personal_feed_notes(user=user)
        options = {
            meeting_id: ical.EventOptions(note=note, alarm_minutes=user.calendar_alert_minutes)
            for meeting_id, note in notes.items()
        }
        return ical.render(
            ical.build_calendar(
                meetings=with_practice(meetings),
                name="CoP-F: my meetings",
                options_for=options,
                default_options=ical.EventOptions(alarm_minutes=user.calendar_alert_minutes),
            )
        )

    return feeds.calendar_response(
        request,
        etag=feeds.feed_etag("personal", *version),
        last_modified=None,
        build=build,
        private=True,
    )


@login_required
@require_POST
def rotate_feed(request: HttpRequest) -> HttpResponse:
    services.rotate_feed_token(user=request.user)
    messages.success(
        request, "Your personal feed has a new address. The old one stopped working just now."
    )
    return redirect("members:profile")


@require_http_methods(["GET", "HEAD", "POST"])
def rsvp_link(request: HttpRequest, token: str) -> HttpResponse:
    """One-click answers from e-mail: GET shows what will happen, POST does it."""
    link = links.read_rsvp_token(token)
    if link is None:
        return render(request, "members/link_invalid.html", status=400)
    user = User.objects.filter(pk=link.user_id, is_active=True).first()
    meeting = Meeting.objects.filter(pk=link.meeting_id).select_related("series").first()
    if user is None or meeting is None:
        return render(request, "members/link_invalid.html", status=404)
    context = {"meeting": meeting, "response": link.response, "member": user, "done": False}
    if request.method == "POST":
        try:
            result = services.set_rsvp(user=user, meeting=meeting, response=link.response)
        except services.RsvpRefused as refusal:
            context["error"] = str(refusal)
            return render(request, "members/rsvp_link.html", context, status=409)
        context.update(done=True, message=selectors.rsvp_message(result.rsvp))
    return render(request, "members/rsvp_link.html", context)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a session or a token.
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = links.read_unsubscribe_token(token)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        return render(request, "members/link_invalid.html", status=400)
    if request.method == "POST":
        services.turn_off_email(user=user)
        return render(request, "members/unsubscribed.html", {"member": user})
    return render(request, "members/unsubscribe.html", {"member": user})


@require_POST
def set_timezone(request: HttpRequest) -> HttpResponse:
    """The zone banner's answer about the zone the member's device is in: make it the
    profile's zone, show times there for this visit, or keep the profile's and stop asking
    while the device is there. Picking the profile's own zone for the visit ends the visit."""
    if not request.user.is_authenticated:
        return login_then(request, reverse("meetings:schedule"))
    form = TimezoneAnswerForm(request.POST)
    if not form.is_valid():
        for error in (error for errors in form.errors.values() for error in errors):
            messages.error(request, error)
        return render(request, "400.html", status=400)
    zone = form.cleaned_data["timezone"]
    answer = form.cleaned_data["action"] or ZoneAnswer.PROFILE
    profile_zone = str(request.user.timezone)
    response = redirect(safe_next(request, reverse("meetings:schedule")))
    if answer == ZoneAnswer.PROFILE:
        request.user.timezone = zone
        request.user.save(update_fields=["timezone"])
        forget_visit_zone(response)
        messages.success(request, _("Your profile's time zone is now %(zone)s.") % {"zone": zone})
    elif answer == ZoneAnswer.VISIT and zone != profile_zone:
        remember_visit_zone(response, user_id=request.user.pk, name=zone)
        messages.success(request, _("Times are shown in %(zone)s for this visit.") % {"zone": zone})
    elif answer == ZoneAnswer.VISIT:
        forget_visit_zone(response)
        messages.success(request, _("Times are shown in %(zone)s again.") % {"zone": zone})
    else:
        keep_profile_zone(response, device_zone=zone)
        messages.success(
            request,
            _(
                "Times stay in %(zone)s, from your profile. We won't ask again while your "
                "device is in %(device)s."
            )
            % {"zone": profile_zone, "device": zone},
        )
    return response
