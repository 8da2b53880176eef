"""The alignment score page (with its components), the alignment pulse's answer page and its results page.

The answer page is for members of marketing and sales teams (``leadops.roles.pulse_side``); a bad or
repeated answer comes back as a form error on the page (422 / 409), never a 500."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from leadops import clock, roles
from leadops.errors import DomainError
from reporting import services
from reporting.api.alignment import MonthIn
from reporting.models import PulseSurvey
from reporting.selectors import alignment, rollups
from reporting.views.common import read_params

LABELS = {"sla_compliance": "SLA compliance, both sides", "shared_metrics": "Shared-metric attainment",
          "coverage_stability": "Pipeline-coverage stability", "pulse": "Alignment pulse (NPS)"}


@login_required
def alignment_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, MonthIn)
    if error:
        return render(request, "reporting/alignment.html", {"error": error, "month": request.GET.get("month", "")},
                      status=422)
    month = p.get("month") or clock.now().date().replace(day=1)
    report = alignment.alignment_score(month=month)
    components = [{"c": c, "label": LABELS[c.name],
                   "percent": None if c.value is None else round(c.value * 100, 1)} for c in report.components]
    survey = PulseSurvey.objects.filter(period_start=month).first()
    return render(request, "reporting/alignment.html", {
        "report": report, "components": components, "month": f"{month:%Y-%m}", "survey": survey,
        "as_of": rollups.data_as_of(), "api_url": f"/api/v1/reports/alignment/?month={month:%Y-%m}",
        "csv_url": f"/api/v1/reports/alignment.csv?month={month:%Y-%m}"})


class PulseForm(forms.Form):
    score = forms.TypedChoiceField(label="How likely are you to recommend working with the other team?",
                                   choices=[(str(i), str(i)) for i in range(11)], coerce=int,
                                   widget=forms.RadioSelect,
                                   error_messages={"required": "Choose a score from 0 to 10.",
                                                   "invalid_choice": "Choose a score from 0 to 10."})
    comment = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Comment (optional; shown to everyone without your name)")


@login_required
def pulse_answer(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(PulseSurvey, pk=pk)
    now = clock.now()
    side = roles.pulse_side(request.user)
    mine = alignment.answer_of(survey=survey, user=request.user)
    is_open = survey.opens_at <= now < survey.closes_at
    form = PulseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.pulse_respond(user=request.user, survey=survey, score=form.cleaned_data["score"],
                                       comment=form.cleaned_data["comment"], now=now)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, "Thank you: your answer is recorded.")
                return redirect("reporting:pulse_results", pk=survey.pk)
        else:
            status = 422
    return render(request, "reporting/pulse_answer.html", {
        "survey": survey, "form": form, "side": side, "mine": mine, "is_open": is_open}, status=status)


@login_required
def pulse_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(PulseSurvey, pk=pk)
    results = alignment.pulse_results(survey=survey)
    return render(request, "reporting/pulse_results.html", {
        "survey": survey, "results": results, "surveys": PulseSurvey.objects.order_by("-period_start")[:12],
        "side": roles.pulse_side(request.user)})


@login_required
def pulse_latest(request: HttpRequest) -> HttpResponse:
    survey = PulseSurvey.objects.order_by("-period_start").first()
    if survey is None:
        raise Http404("No alignment pulse yet.")
    return redirect("reporting:pulse_results", pk=survey.pk)
