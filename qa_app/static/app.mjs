import { initAll } from '/govuk/govuk-frontend.min.js'

initAll()

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
