# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format messages third-party-messages clean-demo lock

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	MALL_DEMO=1 $(BIN)/python manage.py migrate --noinput
	MALL_DEMO=1 $(BIN)/python manage.py seed_demo
	MALL_DEMO=1 $(BIN)/python manage.py sync_schedule
	@echo ""
	@echo "  Mall back office: http://127.0.0.1:8000/admin/   API docs: http://127.0.0.1:8000/api/docs/"
	@echo "  Staff logins (password mall-demo-2026): admin, ops_east, ops_north, cs_agent,"
	@echo "    finance, finance_lead, warehouse_sh, product_ops, product_ops2, marketing,"
	@echo "    ops_lead, tech_lead, security, risk_officer"
	@echo "  Members (password mall-demo-2026): 13900000000 … 13900000099"
	@echo ""
	MALL_DEMO=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

# Uses DATABASE_URL / REDIS_URL when set (PostgreSQL, Redis, a real Celery worker);
# SQLite, local-memory cache and eager Celery otherwise.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Needs GNU gettext (Debian: gettext); run after changing translatable strings.
messages: install
	for app in mall/core templates ops rbac catalog dispatch members orders payments risk; do \
	  [ -d $$app/locale ] || continue; \
	  (cd $$app && $(CURDIR)/$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete) || exit 1; \
	done
	locale/third_party/update.sh
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv

# zh_Hans for the admin theme's strings (django-unfold ships none) and the few other
# third-party admin strings no catalog translates: locale/third_party/update.sh.
third-party-messages: install
	locale/third_party/update.sh

clean-demo:
	rm -f db.sqlite3 backups/audit-anchors.jsonl  # the anchors belong to that database

# Locked requirements with hashes (docs/DEPLOY.md "Reproducible installs"): resolved
# against PyPI alone, ignoring local pip configuration, so every hash is PyPI's.
PIP_COMPILE := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--index-url https://pypi.org/simple
lock: install
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --output-file requirements-dev.lock requirements-dev.txt
