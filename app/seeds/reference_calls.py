"""The three reference calls of DG GROW's Baltic Clusters Forum 2021 presentation, and a call for expression of
interest of the kind the same DG runs for its international cluster matchmaking missions, as data: each record is the
body `POST /api/v1/calls` takes (`app.call_inputs.CallSettings`, every setting), with its times written in the call's
own zone, which the seed converts to UTC. `seed reference` loads them through the same checks as an officer's call.

The fourth shows that a new kind of call needs configuration, not code: no budget, no criteria, places given by the
programme officer's assessment (evaluation mode `assessment`, `scoring.assessment`). Its dates are our settings.

Facts and our settings are documented in shared/domain/reference-calls.md; officers can change every setting.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.countries import EU_MEMBER_STATES

# Countries associated to the COSME strand of the Single Market Programme (our reading of the 2021 list).
SMP_COSME_ASSOCIATED = ("IS", "NO", "AL", "AM", "BA", "XK", "MD", "ME", "MK", "RS", "TR", "UA")

ECOSYSTEMS = (
    "Tourism", "Mobility-Transport-Automotive", "Aerospace & Defence", "Construction", "Agri-food",
    "Energy-Intensive Industries", "Textile", "Creative & Cultural Industries", "Digital",
    "Renewable Energy", "Electronics", "Retail", "Proximity & Social Economy", "Health",
)
# Every reference criterion is scored 0 to 5 in half points, weight 1, with a threshold of 3 (reference-calls.md).
SCALE: dict[str, Any] = {"max": Decimal(5), "weight": Decimal(1), "threshold": Decimal(3)}

# Every reference call requires Part B (the technical description or the event's concept) and takes letters of
# support; the letters print the standard redress wording.
ANNEXES: dict[str, Any] = {"required_annexes": ["part_b"], "optional_annexes": ["support_letter"],
                           "redress_wording": ""}

THEMATIC_AREAS = ("Green and digital transition", "Resilience", "Youth in industry")

REFERENCE_CALLS: list[dict[str, Any]] = [
    {
        "code": "SMP-COSME-2021-CLUSTER-01",
        "title": "Joint Cluster Initiatives (EUROCLUSTERS) for Europe's recovery",
        "programme": "Single Market Programme (SMP COSME)",
        "kind": "grant",
        "description": (
            "Cross-sectoral, interdisciplinary and trans-European strategic Joint Cluster Initiatives "
            "(Euroclusters) that help Europe's industrial ecosystems recover. Objectives: (1) network for "
            "resilience of the EU industrial ecosystems; (2) develop interconnected value chains in the Single "
            "Market; (3) innovate for strategic autonomy in critical supplies and technologies; (4) adopt "
            "processes for a greener and more digital economy; (5) train to re-skill the workforce; (6) go "
            "international to access global supply and value chains. Most of the grant is passed on to SMEs "
            "as financial support to third parties."
        ),
        "opens_at": "2021-09-30 00:00:00",
        "deadline": "2021-12-07 17:00:00",
        "budget": Decimal("42000000.00"),
        "max_awards": 30,
        "max_grant_per_proposal": Decimal("1400000.00"),
        "min_partners": 3,
        "min_countries": 3,
        "eligible_countries": [*EU_MEMBER_STATES, *SMP_COSME_ASSOCIATED],
        "page_limit": 50,
        "evaluators_per_proposal": 3,
        "strands": ["Open", *ECOSYSTEMS],
        "strand_label": "Strand",
        "duration_min_months": 24,
        "duration_max_months": 36,
        "overall_threshold": Decimal(10),
        "tie_break": ["relevance", "impact", "quality"],
        "coverage_field": "strand",
        "budget_policy": "skip",
        "reserve_size": 10,
        "country_conflict": True,
        "time_zone": "Europe/Brussels",
        # Cluster organisations and the business network organisations that act as SMEs' intermediaries.
        "organisation_types": ["cluster_organisation", "business_support_organisation"],
        **ANNEXES,
        "criteria": [
            {"key": "relevance", "name": "Relevance", **SCALE,
             "description": "Alignment with the call's objectives and the needs of the industrial ecosystems."},
            {"key": "quality", "name": "Quality", **SCALE,
             "description": "Project design, implementation and the partnership."},
            {"key": "impact", "name": "Impact", **SCALE,
             "description": "Expected results for SMEs, the ecosystems and Europe's recovery."},
        ],
        # The call's title and description in French and German (`app.services.call_texts`); the criteria keep
        # their English names.
        "texts": {
            "fr": {
                "title": "Initiatives conjointes de clusters (EUROCLUSTERS) pour la relance de l’Europe",
                "description": (
                    "Initiatives conjointes de clusters (Euroclusters) stratégiques, intersectorielles, "
                    "interdisciplinaires et transeuropéennes qui aident les écosystèmes industriels de l’Europe à se "
                    "relever. Objectifs : (1) se mettre en réseau pour la résilience des écosystèmes industriels de "
                    "l’UE ; (2) développer des chaînes de valeur interconnectées dans le marché unique ; (3) innover "
                    "pour l’autonomie stratégique dans les approvisionnements et les technologies critiques ; "
                    "(4) adopter des procédés pour une économie plus verte et plus numérique ; (5) former pour "
                    "requalifier la main-d’œuvre ; (6) s’internationaliser pour accéder aux chaînes "
                    "d’approvisionnement et de valeur mondiales. La majeure partie de la subvention est reversée aux "
                    "PME sous forme de soutien financier à des tiers."
                ),
            },
            "de": {
                "title": "Gemeinsame Cluster-Initiativen (EUROCLUSTERS) für die Erholung Europas",
                "description": (
                    "Sektorübergreifende, interdisziplinäre und transeuropäische strategische Gemeinsame "
                    "Cluster-Initiativen (Euroclusters), die den industriellen Ökosystemen Europas bei der Erholung "
                    "helfen. Ziele: (1) Vernetzung für die Resilienz der industriellen Ökosysteme der EU; "
                    "(2) Aufbau vernetzter Wertschöpfungsketten im Binnenmarkt; (3) Innovation für strategische "
                    "Autonomie bei kritischen Versorgungsgütern und Technologien; (4) Einführung von Verfahren für "
                    "eine grünere und digitalere Wirtschaft; (5) Weiterbildung zur Umschulung der Arbeitskräfte; "
                    "(6) Internationalisierung für den Zugang zu globalen Liefer- und Wertschöpfungsketten. Der "
                    "größte Teil der Finanzhilfe wird als finanzielle Unterstützung Dritter an KMU weitergegeben."
                ),
            },
        },
    },
    {
        "code": "EUID-2022-SESSIONS",
        "title": "EU Industry Days 2022: stakeholder sessions",
        "programme": "EU Industry Days 2022",
        "kind": "event",
        "description": (
            "Stakeholder sessions held online on days 3 and 4 of EU Industry Days, 10-11 February 2022. "
            "Some proposals may be organised jointly with Commission services where their themes align; "
            "proposals not selected as stakeholder sessions may be considered for local events."
        ),
        "opens_at": "2021-10-25 00:00:00",
        "deadline": "2021-11-28 23:59:59",
        "budget": None,
        "max_awards": 20,
        "max_grant_per_proposal": None,
        "min_partners": 1,
        "min_countries": 1,
        "eligible_countries": [],
        "page_limit": 5,
        "evaluators_per_proposal": 3,
        "strands": list(THEMATIC_AREAS),
        "strand_label": "Thematic area",
        "duration_min_months": None,
        "duration_max_months": None,
        "overall_threshold": None,
        "tie_break": ["relevance", "quality"],
        "coverage_field": None,
        "budget_policy": "skip",
        "reserve_size": 5,
        # Sessions not selected "may be considered for local events" (slides): the transfer offer's target.
        "transfer_to": "EUID-2022-LOCAL",
        "country_conflict": True,
        "time_zone": "Europe/Brussels",
        # National and local authorities, universities, businesses, civil society: any type (slides).
        "organisation_types": [],
        **ANNEXES,
        "criteria": [
            {"key": "relevance", "name": "Relevance to the thematic areas", "description": "", **SCALE},
            {"key": "quality", "name": "Quality of content and format", "description": "", **SCALE},
            {"key": "diversity", "name": "Diversity of speakers and reach", "description": "", **SCALE},
        ],
    },
    {
        "code": "EUID-2022-LOCAL",
        "title": "EU Industry Week 2022: local events",
        "programme": "EU Industry Days 2022",
        "kind": "event",
        "description": (
            "Local events throughout the EU Industry Week 2022 - virtual workshops, seminars, fairs and "
            "physical conferences organised by national or local authorities, universities, businesses and "
            "civil society organisations, possibly jointly. Selected events carry the EU Industry Days branding."
        ),
        "opens_at": "2021-10-25 00:00:00",
        "deadline": "2021-12-13 23:59:59",
        "budget": None,
        "max_awards": 100,
        "max_grant_per_proposal": None,
        "min_partners": 1,
        "min_countries": 1,
        "eligible_countries": list(EU_MEMBER_STATES),
        "page_limit": 3,
        "evaluators_per_proposal": 2,
        "strands": list(THEMATIC_AREAS),
        "strand_label": "Thematic area",
        "duration_min_months": None,
        "duration_max_months": None,
        "overall_threshold": None,
        "tie_break": ["relevance", "quality"],
        "coverage_field": None,
        "budget_policy": "skip",
        "reserve_size": 10,
        "country_conflict": True,
        "time_zone": "Europe/Brussels",
        # National and local authorities, universities, businesses, civil society: any type (slides).
        "organisation_types": [],
        **ANNEXES,
        "criteria": [
            {"key": "relevance", "name": "Relevance", "description": "", **SCALE},
            {"key": "quality", "name": "Quality of the event concept", "description": "", **SCALE},
            {"key": "reach", "name": "Expected reach", "description": "", **SCALE},
        ],
    },
    {
        "code": "EUROCLUSTERS-2022-MISSION-KR",
        "title": "Call for expression of interest: EU cluster matchmaking mission to the Republic of Korea 2022",
        "programme": "Single Market Programme (SMP COSME): international cluster cooperation",
        "kind": "event",
        "evaluation_mode": "assessment",
        "description": (
            "A matchmaking mission of EU cluster organisations to the Republic of Korea, to meet Korean clusters, "
            "companies and public bodies and prepare concrete cooperation. EU cluster organisations express their "
            "interest; the programme officer checks eligibility and assesses each expression of interest against the "
            "mission's aims. 20 places; the next 5 suitable expressions of interest form a reserve list. Taking part "
            "carries no EU grant."
        ),
        "opens_at": "2022-05-02 00:00:00",
        "deadline": "2022-06-10 17:00:00",
        "budget": None,
        "max_awards": 20,
        "max_grant_per_proposal": None,
        "min_partners": 1,
        "min_countries": 1,
        "eligible_countries": list(EU_MEMBER_STATES),
        "page_limit": 5,
        "evaluators_per_proposal": 1,
        "strands": [],
        "strand_label": "Strand",
        "duration_min_months": None,
        "duration_max_months": None,
        "overall_threshold": None,
        "tie_break": [],
        "coverage_field": None,
        "budget_policy": "skip",
        "reserve_size": 5,
        "country_conflict": False,
        "time_zone": "Europe/Brussels",
        "criteria": [],
    },
]
