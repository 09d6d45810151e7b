import { initAll } from '/govuk/govuk-frontend.min.js'

initAll()

// A data table wider than a phone scrolls inside its own labelled, focusable region, so
// the page itself never scrolls sideways (WCAG 1.4.10). Templates may already give a
// table its region; this gives one to every other table.
const regionLabels = new Set([...document.querySelectorAll('.app-table-scroll')]
  .map((region) => region.getAttribute('aria-label')))
for (const table of document.querySelectorAll('table.govuk-table')) {
  if (table.closest('.app-table-scroll')) continue
  const caption = table.caption && table.caption.textContent.trim()
  const heading = !caption && table.previousElementSibling &&
    /^H[2-4]$/.test(table.previousElementSibling.tagName) &&
    table.previousElementSibling.textContent.trim()
  const region = document.createElement('div')
  region.className = 'app-table-scroll'
  region.setAttribute('role', 'region')
  let label = `${caption || heading || 'Table'}, scrolls sideways`
  for (let n = 2; regionLabels.has(label); n++) label = `${caption || heading || 'Table'} ${n}, scrolls sideways`
  regionLabels.add(label)
  region.setAttribute('aria-label', label)
  region.tabIndex = 0
  table.before(region)
  region.append(table)
}

// Scoring page: show the overall grade the grades chosen so far would give, worked out on
// the server by the same rules as saving (nothing is saved). Without JavaScript the page
// shows the grade last saved, as before.
const overall = document.querySelector('[data-overall-url]')
if (overall) {
  const form = overall.closest('form')
  const now = overall.querySelector('[data-overall-now]')
  let timer
  let asked = 0
  const show = async () => {
    const question = ++asked
    const body = new FormData(form)
    body.delete('action')
    try {
      const response = await fetch(overall.dataset.overallUrl, { method: 'POST', body, credentials: 'same-origin' })
      const answer = await response.json()
      if (question !== asked) return
      if (!response.ok) {
        now.textContent = answer.message || ''
      } else if (answer.grade === null) {
        now.textContent = 'With the grades chosen on this page there is no overall grade yet.'
      } else {
        now.textContent = `With the grades chosen on this page (${answer.graded} of ${answer.judged} criteria graded), the overall grade would be ${answer.label}. Save the draft to keep them.`
      }
    } catch {
      if (question === asked) now.textContent = ''
    }
  }
  form.addEventListener('change', (event) => {
    if (!event.target.name || !event.target.name.startsWith('grade_')) return
    clearTimeout(timer)
    timer = setTimeout(show, 200)
  })
}
