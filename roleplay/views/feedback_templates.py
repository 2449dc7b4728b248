"""Supervisors' own feedback forms: the list, a copy to start from, and the item editor. Saving a
form that already has answers makes a new version (services.feedback.template_edit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roleplay.feedback_forms import ItemFormSet, TemplateForm, item_initial
from roleplay.permissions import may_edit_template, may_use_library, templates_visible_to
from roleplay.services import feedback
from roleplay.services.feedback import FeedbackRefused


def _template_for(user, pk: int):
    template = templates_visible_to(user).filter(pk=pk).first()
    if template is None:
        raise Http404("No such form.")
    return template


@login_required
def template_list(request):
    if not may_use_library(request.user):
        raise Http404("No feedback forms here.")
    templates = (
        templates_visible_to(request.user).select_related("owner").order_by("purpose", "name")
    )
    return render(request, "roleplay/template_list.html", {"templates": templates})


@login_required
@require_POST
def template_copy(request, pk: int):
    template = _template_for(request.user, pk)
    copy = feedback.template_copy(template=template, user=request.user)
    messages.success(request, "Your copy is ready to change.")
    return redirect("template_edit", pk=copy.pk)


@login_required
def template_edit(request, pk: int):
    template = _template_for(request.user, pk)
    if not may_edit_template(request.user, template):
        raise Http404("No such form.")
    form = TemplateForm(request.POST or None, instance=template)
    items = ItemFormSet(
        request.POST or None,
        initial=item_initial(feedback.template_items_as_dicts(template)),
        prefix="items",
    )
    if request.method == "POST" and form.is_valid() and items.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "thresholds_text"}
        changes["thresholds"] = form.cleaned_data["thresholds_text"]
        try:
            saved = feedback.template_edit(
                template=template, user=request.user, changes=changes, items=items.items()
            )
        except FeedbackRefused as exc:
            form.add_error(None, exc.reason)
        else:
            if saved.pk != template.pk:
                messages.success(
                    request,
                    f"Saved as version {saved.version}: answers already given keep version "
                    f"{template.version}.",
                )
            else:
                messages.success(request, "Saved.")
            return redirect("template_edit", pk=saved.pk)
    return render(
        request,
        "roleplay/template_form.html",
        {"template": template, "form": form, "items": items},
    )
