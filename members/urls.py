"""Members URLs: staff under ``api/v1/members/``, storefront under ``api/v1/store/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .apis import rfm, staff, store

staff_router = SimpleRouter()
staff_router.register(
    "api/v1/members/coupon-templates",
    staff.CouponTemplateViewSet,
    basename="member-coupon-template",
)
staff_router.register("api/v1/members/levels", staff.LevelViewSet, basename="member-level")
staff_router.register("api/v1/members/addresses", staff.AddressViewSet, basename="member-address")
staff_router.register("api/v1/members/rfm", rfm.MemberRfmViewSet, basename="member-rfm")
staff_router.register("api/v1/members", staff.MemberViewSet, basename="member")

store_router = SimpleRouter()
store_router.register("api/v1/store/me/addresses", store.AddressViewSet, basename="store-address")

urlpatterns = [
    path("api/v1/store/auth/register/", store.RegisterView.as_view(), name="store-register"),
    path("api/v1/store/auth/sms-code/", store.SmsCodeView.as_view(), name="store-sms-code"),
    path("api/v1/store/auth/login/", store.LoginView.as_view(), name="store-login"),
    path("api/v1/store/auth/logout/", store.LogoutView.as_view(), name="store-logout"),
    path("api/v1/store/me/", store.MeView.as_view(), name="store-me"),
    path("api/v1/store/me/points/", store.MyPointsView.as_view(), name="store-me-points"),
    path("api/v1/store/me/coupons/", store.MyCouponsView.as_view(), name="store-me-coupons"),
    path("api/v1/store/me/sign-in/", store.SignInView.as_view(), name="store-sign-in"),
    path("api/v1/store/coupons/", store.CouponTemplateListView.as_view(), name="store-coupons"),
    path(
        "api/v1/store/coupons/<int:pk>/claim/",
        store.CouponClaimView.as_view(),
        name="store-coupon-claim",
    ),
    *store_router.urls,
    *staff_router.urls,
]
