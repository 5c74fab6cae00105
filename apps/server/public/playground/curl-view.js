// The last request as a curl command, to run the same generation from a shell or read what the page sent.
import { ENDPOINTS, requestJson } from './generation.js';

/** Quotes `text` for a POSIX shell: inside single quotes, a single quote is '\'' */
function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export function showCurl(element, request) {
  const url = new URL(ENDPOINTS[request.mode], document.baseURI).href;
  const json = JSON.stringify(requestJson(request));
  element.textContent = `curl ${url} -H 'content-type: application/json' ${request.stream ? '-N ' : ''}-d ${shellQuote(json)}`;
}
