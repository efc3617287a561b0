"""Products: the listing workflow, SKUs, pictures, Excel import/export."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import display
from unfold.enums import ActionVariant

from mall.core.admin import (
    ServiceModelAdmin,
    TabularInline,
    workflow_action,
)
from mall.core.exceptions import ApplicationError

from .. import permissions as perms
from .. import selectors, services
from ..admin_filters import (
    CategoryTreeFilter,
    DateRangeFilter,
    OwnerFilter,
    category_path,
)
from ..availability import product_sellable_stock
from ..compliance import product_compliance_problems
from ..excel import product_export, product_import_request
from ..models import (
    Category,
    Product,
    ProductImage,
    Sku,
)
from ..services import PRODUCT_FIELDS
from ..widgets import SpecField
from ._common import (
    PRODUCT_STATUS_TONES,
    ReasonActionForm,
    _error_text,
    _person,
)
from .categories import CategoryChoiceField


def _product_editable(product) -> bool:
    """Whether the product's page takes edits: the services lock content while the
    review runs and while it is on shelf (docs/CATALOG.md "Which products can be edited")."""
    return product is None or product.status not in (
        Product.Status.PENDING_REVIEW,
        Product.Status.ON_SHELF,
    )


class _ProductRowsInline(TabularInline):
    """Rows of a product: no new, changed or removed rows while the product is locked."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _product_editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _product_editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _product_editable(obj)


class SkuInline(_ProductRowsInline):
    model = Sku
    extra = 0
    can_delete = False
    fields = [
        "code",
        "spec",
        "price_amount",
        "cost_amount",
        "weight_grams",
        "is_available",
        "sort_order",
    ]
    readonly_fields = ["spec_rows_text"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if _product_editable(obj):
            return fields
        # a locked product shows the specification as text, not as rows of inputs
        return ["spec_rows_text" if f == "spec" else f for f in fields]

    def get_readonly_fields(self, request, obj=None):
        fields = ["spec_rows_text"]
        return [*fields, "code"] if obj is not None else fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "spec":
            return SpecField(label=db_field.verbose_name, required=False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @display(description=_("specification"))
    def spec_rows_text(self, sku: Sku):
        return "；".join(f"{k}：{v}" for k, v in (sku.spec or {}).items()) or "—"


class ProductImageInline(_ProductRowsInline):
    model = ProductImage
    extra = 0
    fields = ["preview", "image", "alt_text", "sort_order"]
    readonly_fields = ["preview"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        # a locked product's pictures are looked at, not downloaded or replaced
        return fields if _product_editable(obj) else [f for f in fields if f != "image"]

    @display(description=_("preview"))
    def preview(self, image: ProductImage):
        if not image.pk or not image.image:
            return "—"
        return format_html(
            '<a href="{0}" target="_blank"><img src="{0}" alt="{1}" '
            'style="width:96px;height:96px;object-fit:cover;border-radius:6px"></a>',
            image.image.url,
            image.alt_text,
        )

    def has_change_permission(self, request, obj=None):
        return False


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", *PRODUCT_FIELDS]


@admin.register(Product)
class ProductAdmin(ServiceModelAdmin):
    nav_group = "catalog"
    nav_order = 10
    nav_icon = "inventory_2"
    form = ProductForm
    inlines = [SkuInline, ProductImageInline]
    list_display = [
        "thumbnail",
        "title_line",
        "code",
        "price_range",
        "sellable_stock",
        "category_path",
        "status_label",
        "owner_name",
        "updated_at",
    ]
    list_display_links = ["thumbnail", "title_line"]
    list_filter = [
        "status",
        CategoryTreeFilter,
        OwnerFilter,
        ("created_at", DateRangeFilter),
        ("updated_at", DateRangeFilter),
        "is_virtual",
        "is_presale",
    ]
    list_filter_submit = True
    search_fields = ["code", "title", "brand", "skus__code"]
    list_select_related = ["category__parent__parent", "owner"]
    readonly_fields = [
        "status_text",
        "review_round",
        "created_by_name",
        "submitted_by_name",
        "submitted_at",
        "scheduled_listing_at",
        "listed_at",
        "compliance",
    ]
    action_form = ReasonActionForm
    actions = [
        "submit_selected",
        "approve_selected",
        "reject_selected",
        "on_shelf_selected",
        "off_shelf_selected",
        "export_selected",
    ]
    actions_detail = [
        "submit_button",
        "approve_button",
        "reject_button",
        "on_shelf_button",
        "off_shelf_button",
    ]
    object_history_template = "admin/catalog/product/history.html"
    change_list_template = "admin/catalog/product/change_list.html"

    def get_queryset(self, request):
        return selectors.product_list(actor=request.user).select_related("category__parent__parent")

    def get_prepopulated_fields(self, request, obj=None):
        return {}

    def get_fields(self, request, obj=None):
        fields = ["code", *PRODUCT_FIELDS]
        if obj is not None and not self.editable_in_state(obj):
            # the read-only page names people and categories as people read them
            names = {"owner": "owner_name", "category": "category_full_path"}
            fields = [names.get(f, f) for f in fields]
        if obj is not None:
            fields += [f for f in self.readonly_fields if f not in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["code", *self.readonly_fields]
        if not self.editable_in_state(obj):
            fields += ["owner_name", "category_full_path"]
        return fields

    def editable_in_state(self, obj) -> bool:
        return _product_editable(obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = selectors.product_owner_choices(actor=request.user)
        if db_field.name == "category":
            kwargs["queryset"] = selectors.category_tree(actor=request.user).filter(
                level=Category.MAX_LEVEL, is_active=True
            )
            kwargs["form_class"] = CategoryChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            product = self.get_object(request, object_id)
            if (
                product is not None
                and product.status in services.CONTENT_REOPENS
                and self.has_change_permission(request, product)
            ):
                self.message_user(
                    request,
                    _(
                        "Saving a change of this product's content sends it back to draft: "
                        "it needs a new review before it goes on shelf."
                    ),
                    level=messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One hook call per page: sellable stock as the reader may see it.
        products = list(changelist.result_list)
        stock = product_sellable_stock(actor=request.user, product_ids=[p.pk for p in products])
        for product in products:
            product.sellable_units = stock.get(product.pk)
        return changelist

    # columns
    @display(description=_("picture"))
    def thumbnail(self, product: Product):
        images = list(product.images.all())
        if not images:
            return format_html(
                '<span style="display:inline-block;width:48px;height:48px;border-radius:6px;'
                'background:#e5e7eb" title="{}"></span>',
                _("no picture yet"),
            )
        return format_html(
            '<img src="{}" alt="" '
            'style="width:48px;height:48px;object-fit:cover;border-radius:6px">',
            images[0].image.url,
        )

    @display(description=_("title"), ordering="title")
    def title_line(self, product: Product):
        return format_html(
            '<span title="{0}" style="display:block;max-width:22rem;overflow:hidden;'
            'text-overflow:ellipsis;white-space:nowrap">{0}</span>',
            product.title,
        )

    @display(description=_("price"))
    def price_range(self, product: Product):
        prices = sorted(sku.price_amount for sku in product.skus.all())
        if not prices:
            return "—"
        text = f"¥{prices[0]:,.2f}"
        if prices[0] != prices[-1]:
            text += f"–{prices[-1]:,.2f}"
        return format_html('<span style="white-space:nowrap">{}</span>', text)

    @display(description=_("sellable stock"))
    def sellable_stock(self, product: Product):
        units = getattr(product, "sellable_units", None)
        return "—" if units is None else f"{units:,}"

    @display(description=_("category"), ordering="category__name")
    def category_path(self, product: Product):
        return format_html(
            '<span title="{}" style="white-space:nowrap">{}</span>',
            category_path(product.category),
            product.category.name,
        )

    @display(description=_("category"))
    def category_full_path(self, product: Product):
        return category_path(product.category)

    @display(description=_("status"), ordering="status", label=PRODUCT_STATUS_TONES)
    def status_label(self, product: Product):
        return product.status, product.get_status_display()

    @display(description=_("owner"), ordering="owner__last_name")
    def owner_name(self, product: Product):
        return _person(product.owner)

    # read-only fields of the change page
    @display(description=_("status"))
    def status_text(self, product: Product):
        return product.get_status_display()

    @display(description=_("author"))
    def created_by_name(self, product: Product):
        return _person(product.created_by)

    @display(description=_("submitted by"))
    def submitted_by_name(self, product: Product):
        return _person(product.submitted_by) if product.submitted_by_id else "—"

    @display(description=_("listing checks"))
    def compliance(self, product: Product):
        if not product.pk:
            return "—"
        problems = product_compliance_problems(product)
        if not problems:
            return _("passes")
        return "; ".join(" ".join(str(m) for m in msgs) for msgs in problems.values())

    # permissions of the workflow actions
    def has_submit_permission(self, request):
        return request.user.has_perm(perms.SUBMIT_PRODUCT)

    def has_review_permission(self, request):
        return request.user.has_perm(perms.REVIEW_PRODUCT)

    def has_publish_permission(self, request):
        return request.user.has_perm(perms.PUBLISH_PRODUCT)

    def has_export_permission(self, request):
        return request.user.has_perm(perms.EXPORT_PRODUCT)

    def has_import_permission(self, request):
        return request.user.has_perm(perms.IMPORT_PRODUCT)

    def has_delete_permission(self, request, obj=None):
        return False

    # writes: the product through its services, then the inline rows through theirs
    def save_with_service(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in PRODUCT_FIELDS if name in form.cleaned_data
        }
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            if not changed:
                return obj
            return services.product_update(actor=request.user, product=obj, **changed)
        return services.product_create(
            actor=request.user,
            code=form.cleaned_data["code"],
            title=data.pop("title"),
            category=data.pop("category"),
            owner=data.pop("owner", None),
            **data,
        )

    def save_formset(self, request, form, formset, change):
        product = form.instance
        # The admin's change message reads these; the services did the writing.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is Sku:
            for sku_form in formset.forms:
                if not sku_form.has_changed() or not sku_form.cleaned_data:
                    continue
                data = sku_form.cleaned_data
                if sku_form.instance.pk is None:
                    formset.new_objects.append(sku_form.instance)
                    services.sku_create(
                        actor=request.user,
                        product=product,
                        code=data["code"],
                        price_amount=data["price_amount"],
                        cost_amount=data.get("cost_amount") or 0,
                        spec=data.get("spec") or {},
                        weight_grams=data.get("weight_grams") or 0,
                        is_available=data.get("is_available", True),
                        sort_order=data.get("sort_order") or 0,
                    )
                else:
                    values = {
                        name: data[name]
                        for name in sku_form.changed_data
                        if name
                        in (
                            "spec",
                            "price_amount",
                            "cost_amount",
                            "weight_grams",
                            "is_available",
                            "sort_order",
                        )
                    }
                    services.sku_update(
                        actor=request.user, sku=sku_form.instance, reason="admin", **values
                    )
                    formset.changed_objects.append((sku_form.instance, list(values)))
        elif formset.model is ProductImage:
            for image_form in formset.forms:
                if not image_form.cleaned_data:
                    continue
                if image_form.cleaned_data.get("DELETE") and image_form.instance.pk:
                    formset.deleted_objects.append(image_form.instance)
                    services.product_image_remove(actor=request.user, image=image_form.instance)
                elif image_form.instance.pk is None and image_form.has_changed():
                    formset.new_objects.append(image_form.instance)
                    services.product_image_add(
                        actor=request.user,
                        product=product,
                        image=image_form.cleaned_data["image"],
                        alt_text=image_form.cleaned_data.get("alt_text") or "",
                        sort_order=image_form.cleaned_data.get("sort_order"),
                    )
        else:  # pragma: no cover - no other inline
            raise PermissionDenied

    # workflow buttons on the product's page (the same services as the API)
    @workflow_action(
        description=_("Submit for review"),
        permission=perms.SUBMIT_PRODUCT,
        when=lambda p: p.status in (Product.Status.DRAFT, Product.Status.REJECTED),
        confirm=_("The listing checks run now; reviewers are notified."),
        success=_("Submitted for listing review."),
        icon="send",
    )
    def submit_button(self, request, product):
        services.product_submit(actor=request.user, product=product)

    @workflow_action(
        description=pgettext_lazy("product review", "Approve"),
        permission=perms.REVIEW_PRODUCT,
        when=lambda p: p.status == Product.Status.PENDING_REVIEW,
        confirm=_("Approve this listing? It can then be put on shelf."),
        success=_("Listing approved."),
        icon="check",
    )
    def approve_button(self, request, product):
        services.product_approve(actor=request.user, product=product)

    @workflow_action(
        description=_("Reject"),
        permission=perms.REVIEW_PRODUCT,
        when=lambda p: p.status == Product.Status.PENDING_REVIEW,
        reason=True,
        success=_("Listing rejected; the author is notified."),
        variant=ActionVariant.DANGER,
        icon="close",
    )
    def reject_button(self, request, product, reason):
        services.product_reject(actor=request.user, product=product, reason=reason)

    @workflow_action(
        description=_("Put on shelf"),
        permission=perms.PUBLISH_PRODUCT,
        when=lambda p: p.status in (Product.Status.APPROVED, Product.Status.OFF_SHELF),
        confirm=_("The product becomes visible in the store at once."),
        success=_("The product is on shelf."),
        icon="storefront",
    )
    def on_shelf_button(self, request, product):
        services.product_on_shelf(actor=request.user, product=product)

    @workflow_action(
        description=_("Take off shelf"),
        permission=perms.PUBLISH_PRODUCT,
        when=lambda p: p.status == Product.Status.ON_SHELF,
        confirm=_("The product disappears from the store at once."),
        success=_("The product is off shelf."),
        variant=ActionVariant.WARNING,
        icon="remove_shopping_cart",
    )
    def off_shelf_button(self, request, product):
        services.product_off_shelf(actor=request.user, product=product)

    # bulk actions for batches
    def _each(self, request, queryset, func, done_message, **kwargs):
        count = 0
        for product in queryset.order_by("pk"):
            if self.run_service(request, func, actor=request.user, product=product, **kwargs):
                count += 1
        if count:
            self.message_user(request, done_message % {"n": count}, level=messages.SUCCESS)

    @admin.action(description=_("Submit for listing review"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._each(request, queryset, services.product_submit, _("%(n)d product(s) submitted."))

    @admin.action(description=_("Approve listing"), permissions=["review"])
    def approve_selected(self, request, queryset):
        self._each(request, queryset, services.product_approve, _("%(n)d product(s) approved."))

    @admin.action(description=_("Reject listing (give a reason)"), permissions=["review"])
    def reject_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            services.product_reject,
            _("%(n)d product(s) rejected."),
            reason=request.POST.get("reason", ""),
        )

    @admin.action(description=_("Put on shelf"), permissions=["publish"])
    def on_shelf_selected(self, request, queryset):
        self._each(request, queryset, services.product_on_shelf, _("%(n)d product(s) on shelf."))

    @admin.action(description=_("Take off shelf"), permissions=["publish"])
    def off_shelf_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            services.product_off_shelf,
            _("%(n)d product(s) off shelf."),
            reason=request.POST.get("reason", ""),
        )

    @admin.action(description=_("Export selected to Excel"), permissions=["export"])
    def export_selected(self, request, queryset):
        content = product_export(
            actor=request.user,
            products=queryset,
            filters={"ids": list(queryset.values_list("pk", flat=True))},
        )
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="products-{stamp}.xlsx"'
        return response

    # history tab: the product's own timeline and the price history of its SKUs
    def history_view(self, request, object_id, extra_context=None):
        product = self.get_object(request, object_id)
        if product is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, product):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(product)s") % {"product": product},
            "subtitle": None,
            "object": product,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "events": selectors.product_history(actor=request.user, product=product),
            "price_changes": selectors.product_price_history(actor=request.user, product=product),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_template, context)

    # Excel import page
    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_product_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request):
        """Upload a file: a bad file is refused at once, otherwise the import runs as a
        job and the page of that job (progress bar, then the outcome) opens."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = product_import_request(
                    actor=request.user,
                    file=form.cleaned_data["file"],
                    file_name=form.cleaned_data["file"].name,
                )
            except ApplicationError as exc:
                form.add_error("file", _error_text(exc))
            else:
                self.message_user(
                    request,
                    _("The import has started; this page shows its progress."),
                    level=messages.INFO,
                )
                return HttpResponseRedirect(reverse("admin:core_filejob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import products from Excel"),
            "opts": self.opts,
            "form": form,
        }
        return render(request, "admin/catalog/product/import.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


# --- SKUs, prices, promotions, imports -------------------------------------------------
