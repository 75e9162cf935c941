"""Staff pages of house tickets, mounted at /staff/tickets/."""

from django.urls import path

from tickets.views import settlements, tickets

app_name = "tickets"

urlpatterns = [
    path("", tickets.tickets_home, name="home"),
    path("projects/<str:code>/", tickets.project_tickets, name="project-tickets"),
    path("projects/<str:code>/issue/", tickets.ticket_issue, name="ticket-issue"),
    path("projects/<str:code>/listings/", tickets.project_listings, name="project-listings"),
    path("projects/<str:code>/listings/import/", tickets.listings_import, name="listings-import"),
    path(
        "projects/<str:code>/settlements/",
        settlements.project_settlements,
        name="project-settlements",
    ),
    path(
        "projects/<str:code>/settlements/open/",
        settlements.settlement_open,
        name="settlement-open",
    ),
    path("settlements/<int:pk>/", settlements.settlement_detail, name="settlement-detail"),
    path(
        "settlements/<int:pk>/approve/",
        settlements.settlement_approve,
        name="settlement-approve",
    ),
    path(
        "settlements/<int:pk>/bank.<str:kind>",
        settlements.settlement_bank_file,
        name="settlement-bank",
    ),
    path("<int:pk>/", tickets.ticket_detail, name="ticket-detail"),
    path("<int:pk>/certificate.pdf", tickets.ticket_certificate, name="ticket-certificate"),
    path("<int:pk>/purchase/", tickets.ticket_purchase, name="ticket-purchase"),
    path("<int:pk>/transfer/", tickets.ticket_transfer, name="ticket-transfer"),
    path("<int:pk>/buy-back/", tickets.ticket_buy_back, name="ticket-buy-back"),
]
