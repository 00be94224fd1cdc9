--[[
slides.lua - the pandoc filter every deck is built through (build-deck runs
it; slides/README.md shows the syntax).

  ```{include="labs/03-producer-consumer/channel.h" from="struct channel {" to="};"}
  ```
      An empty code block becomes the lines of a file of the repository,
      from the one line holding FROM through the first line after it
      holding TO (or starting with it, for TO="^..."), or the whole file,
      dedented. A file, FROM or TO that is
      missing, or a FROM that is not unique, fails the build: renaming or
      deleting the code breaks the deck instead of leaving a stale copy.
      A student deck may not include from solutions/.

  ```dot
  digraph { ... }
  ```
      A graphviz diagram: drawn by dot (PDF for beamer, SVG for HTML) into
      the build folder's figures/; a diagram dot rejects fails the build.

  ![](figures/NAME.svg)
      A figure the build made in the build folder's figures/ (lab 06's
      ipcbench plot, or its placeholder); beamer gets a PDF copy made by
      rsvg-convert.

Set by build-deck: SLIDES_ROOT (the checkout), SLIDES_OUT (the build
folder), SLIDES_AUDIENCE (student or instructor), SLIDES_DECK (the deck,
for messages) and SLIDES_DEPFILE (make's list of what the deck read).
]]

local root = os.getenv('SLIDES_ROOT')
local out = os.getenv('SLIDES_OUT')
local audience = os.getenv('SLIDES_AUDIENCE')
local deck = os.getenv('SLIDES_DECK') or 'the deck'
local depfile = os.getenv('SLIDES_DEPFILE')
local is_latex = FORMAT == 'beamer' or FORMAT == 'latex'
-- The output's name (00-introduction.pdf), for files this build alone writes.
local target_name = (os.getenv('SLIDES_TARGET') or 'deck'):match('([^/]*)$')
local read_files = {}
local diagrams = 0

local function fail(fmt, ...)
  io.stderr:write(deck .. ': ' .. string.format(fmt, ...) .. '\n')
  os.exit(1)
end

if not (root and out and (audience == 'student' or audience == 'instructor')) then
  io.stderr:write('slides.lua: run through slides/tools/build-deck (SLIDES_ROOT, SLIDES_OUT, '
    .. 'SLIDES_AUDIENCE are not set)\n')
  os.exit(2)
end

local function exists(path)
  local file = io.open(path, 'rb')
  if file then file:close() end
  return file ~= nil
end

local function read_lines(path)
  local file = io.open(path, 'rb')
  if not file then return nil end
  local lines = {}
  for line in file:lines() do lines[#lines + 1] = line end
  file:close()
  return lines
end

-- The only line of LINES holding TEXT (plain text, not a pattern).
local function unique_line(lines, text, path)
  local found, count = nil, 0
  for i, line in ipairs(lines) do
    if line:find(text, 1, true) then
      found, count = found or i, count + 1
    end
  end
  if count == 0 then fail('%s has no line holding from="%s"', path, text) end
  if count > 1 then
    fail('from="%s" is on %d lines of %s: make it match one', text, count, path)
  end
  return found
end

-- Lines FIRST..LAST of LINES without the indentation they all share.
local function dedented(lines, first, last)
  local indent
  for i = first, last do
    local lead = lines[i]:match('^(%s*)%S')
    if lead and (not indent or #lead < #indent) then indent = lead end
  end
  local kept = {}
  for i = first, last do
    local line = lines[i]
    if indent and line:sub(1, #indent) == indent then line = line:sub(#indent + 1) end
    kept[#kept + 1] = line
  end
  return table.concat(kept, '\n')
end

local languages = { c = 'c', h = 'c', mk = 'makefile', sh = 'bash' }

-- Where a figure of the build folder is, seen from the output: beamer's
-- LaTeX runs elsewhere (an absolute path), the HTML deck sits beside it.
local function figure_source(name)
  if is_latex then return out .. '/figures/' .. name end
  return 'figures/' .. name
end

local function source_note(path)
  if is_latex then
    return pandoc.RawBlock('latex', '\\codesource{' .. path:gsub('_', '\\_') .. '}')
  end
  return pandoc.RawBlock('html', '<p class="codesource">' .. path .. '</p>')
end

local function include(block)
  local path = block.attributes.include
  if path:match('^/') or path:match('%.%.') then
    fail('include="%s": name a file of the repository by its path from the top', path)
  end
  if audience == 'student' and path:match('^solutions/') then
    fail('include="%s": a student deck shows no solution code (put it in slides/instructor/)', path)
  end
  if block.text:match('%S') then
    fail('the code block including %s must be empty: its lines come from the file', path)
  end
  local lines = read_lines(root .. '/' .. path)
  if not lines then fail('include="%s": no such file', path) end
  read_files[#read_files + 1] = root .. '/' .. path

  local first, last = 1, #lines
  local from, to = block.attributes.from, block.attributes.to
  if from then first = unique_line(lines, from, path) end
  if to then
    last = nil
    -- to="^}": a line that starts with "}" (the end of a function).
    local prefix = to:match('^%^(.*)$')
    for i = first + 1, #lines do
      if (prefix and lines[i]:sub(1, #prefix) == prefix) or (not prefix and lines[i]:find(to, 1, true)) then
        last = i
        break
      end
    end
    if not last then fail('%s has no line holding to="%s" after from="%s"', path, to, from or '') end
  end
  block.text = dedented(lines, first, last)
  block.attributes.include, block.attributes.from, block.attributes.to = nil, nil, nil
  if #block.classes == 0 then
    block.classes:insert(languages[path:match('%.(%w+)$') or ''] or 'default')
  end
  return { source_note(path), block }
end

-- A paragraph that is one figure, centred (the HTML decks' CSS centres
-- images already).
local function centered(para)
  if not is_latex then return para end
  return { pandoc.RawBlock('latex', '\\begin{center}'), para, pandoc.RawBlock('latex', '\\end{center}') }
end

local function diagram(block)
  local kind = is_latex and 'pdf' or 'svg'
  local name = 'dot-' .. pandoc.sha1(block.text) .. '.' .. kind
  local file = out .. '/figures/' .. name
  diagrams = diagrams + 1
  if not exists(file) then
    -- dot writes what it can before it fails: never leave that as the
    -- figure. The part file is this build's own (make -j builds decks
    -- side by side, and two decks may draw the same diagram).
    local part = file .. '.' .. target_name .. '.part'
    local ok, err = pcall(pandoc.pipe, 'dot', { '-T' .. kind, '-o', part }, block.text)
    if not ok then
      os.remove(part)
      fail('graphviz diagram %d does not draw (dot: %s); it starts: %s', diagrams,
        type(err) == 'table' and ('exit ' .. tostring(err.error_code)) or tostring(err),
        block.text:match('^[^\n]*'))
    end
    os.rename(part, file)
  end
  local attributes = {}
  for key, value in pairs(block.attributes) do attributes[key] = value end
  return centered(pandoc.Para {
    pandoc.Image({}, figure_source(name), '', pandoc.Attr('', {}, attributes)) })
end

function CodeBlock(block)
  if block.classes:includes('dot') then return diagram(block) end
  if block.attributes.include then return include(block) end
  return nil
end

function Para(para)
  if #para.content == 1 and para.content[1].t == 'Image' then return centered(para) end
  return nil
end

function Image(image)
  local name = image.src:match('^figures/(.+)$')
  if not name then return nil end
  local file = out .. '/figures/' .. name
  if not exists(file) then fail('figure %s is not in %s/figures (make slides makes it)', name, out) end
  read_files[#read_files + 1] = file
  if is_latex and name:match('%.svg$') then
    local pdf = name:gsub('%.svg$', '.' .. target_name .. '.pdf')
    local ok = pcall(pandoc.pipe, 'rsvg-convert', { '-f', 'pdf', '-o', out .. '/figures/' .. pdf, file }, '')
    if not ok then fail('rsvg-convert cannot convert %s to PDF', file) end
    name = pdf
  end
  image.src = figure_source(name)
  return image
end

function Pandoc(doc)
  if depfile then
    local file = io.open(depfile, 'w')
    if not file then fail('cannot write %s', depfile) end
    file:write(os.getenv('SLIDES_TARGET') .. ': ' .. table.concat(read_files, ' ') .. '\n')
    for _, path in ipairs(read_files) do file:write(path .. ':\n') end
    file:close()
  end
  return doc
end
