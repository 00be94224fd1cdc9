# slides.mk - make slides: every deck of slides/ as a PDF (beamer) and an
# HTML deck (reveal.js), in $(BUILD)/slides/. Included by the top Makefile;
# slides/README.md says how decks are written. Needs the packages of
# `scripts/install-deps --slides`; grading needs none of them.
#
# A deck is one file: slides/NN-name.md is a student deck (the intro is
# 00-*). slides/instructor/NN-name.md, when there is one, adds the
# solution slides: the lab's instructor deck is both files, NN-name-instructor.

SLIDES_OUT := $(BUILD)/slides
SLIDE_TOOLS := $(addprefix slides/tools/,build-deck slides.lua code.theme beamer.tex \
    beamer-instructor.tex reveal.html reveal-instructor.html)
STUDENT_DECKS := $(basename $(notdir $(sort $(wildcard slides/[0-9][0-9]-*.md))))
INSTRUCTOR_DECKS := $(addsuffix -instructor,$(basename $(notdir \
    $(sort $(wildcard slides/instructor/[0-9][0-9]-*.md)))))
ALL_DECKS := $(STUDENT_DECKS) $(INSTRUCTOR_DECKS)
SLIDE_FILES := $(foreach deck,$(ALL_DECKS),$(SLIDES_OUT)/$(deck).pdf $(SLIDES_OUT)/$(deck).html)

# Lab 06's ipcbench writes the plot the introduction shows; until it has
# run, the build draws a placeholder that says so.
IPCBENCH_SVG ?= $(BUILD)/ipcbench/ipcbench.svg
SLIDE_FIGURES := $(SLIDES_OUT)/figures/ipcbench.svg
REVEAL := $(SLIDES_OUT)/reveal.js/dist/reveal.js

.PHONY: slides slides-check FORCE

slides: $(SLIDE_FILES)
	@echo "make slides: $(words $(ALL_DECKS)) decks ($(words $(INSTRUCTOR_DECKS)) for \
instructors), PDF and HTML, in $(SLIDES_OUT)/"

$(SLIDES_OUT)/%.pdf: slides/%.md $(SLIDE_TOOLS) $(SLIDE_FIGURES)
	slides/tools/build-deck pdf student $@ $<

$(SLIDES_OUT)/%.html: slides/%.md $(SLIDE_TOOLS) $(SLIDE_FIGURES) | $(REVEAL)
	slides/tools/build-deck html student $@ $<

$(SLIDES_OUT)/%-instructor.pdf: slides/%.md slides/instructor/%.md $(SLIDE_TOOLS) $(SLIDE_FIGURES)
	slides/tools/build-deck pdf instructor $@ $< slides/instructor/$*.md

$(SLIDES_OUT)/%-instructor.html: slides/%.md slides/instructor/%.md $(SLIDE_TOOLS) \
    $(SLIDE_FIGURES) | $(REVEAL)
	slides/tools/build-deck html instructor $@ $< slides/instructor/$*.md

# The real plot when there is one, else the placeholder; replaced only when
# it changed, so that decks are rebuilt only then.
$(SLIDES_OUT)/figures/ipcbench.svg: slides/tools/ipcbench-figure FORCE
	@slides/tools/ipcbench-figure $(IPCBENCH_SVG) $@

# reveal.js, the version slides/tools/package-lock.json pins, from the npm
# registry into the build folder: the HTML decks load it from there.
$(REVEAL): slides/tools/package.json slides/tools/package-lock.json
	rm -rf $(SLIDES_OUT)/npm $(SLIDES_OUT)/reveal.js
	mkdir -p $(SLIDES_OUT)/npm
	cp slides/tools/package.json slides/tools/package-lock.json $(SLIDES_OUT)/npm/
	cd $(SLIDES_OUT)/npm && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(SLIDES_OUT)/reveal.js
	cp -R $(addprefix $(SLIDES_OUT)/npm/node_modules/reveal.js/,dist plugin LICENSE) \
	    $(SLIDES_OUT)/reveal.js/

FORCE:

# What each deck read (included code, figures): changing it rebuilds the deck.
-include $(wildcard $(SLIDES_OUT)/deps/*.d)

# Every deck as a reader sees it: rendered pages, text inside the pages,
# nothing from the network (scripts/check-slides); then proof that the
# build and those checks catch broken decks, and that the student pack
# builds its decks alone (scripts/test-slides).
slides-check: slides
	scripts/check-slides $(SLIDES_OUT) $(ALL_DECKS)
	scripts/test-slides $(SLIDES_OUT)
