// tests/integration/serve_openai.js — drives `tierbench serve` with the official `openai` npm
// client (installed by test_serve.sh into a scratch folder): chat, streamed chat with usage,
// log-probabilities, completions streamed and not, the model list, a bad key (401) and a prompt
// over the context (400 context_length_exceeded). Prints "ok NAME" or "FAIL NAME: why" per check.
// usage: node serve_openai.js OPENAI_MODULE_DIR BASE_URL MODEL KEY
'use strict';
const [modDir, baseURL, model, key] = process.argv.slice(2);
const mod = require(modDir);
const OpenAI = mod.OpenAI || mod.default || mod;

let failed = 0;
function check(name, cond, why) {
	if (cond) {
		console.log(`ok ${name}`);
	} else {
		failed++;
		console.log(`FAIL ${name}: ${why}`);
	}
}

async function expectError(name, fn, status, code) {
	try {
		await fn();
		check(name, false, 'no error was raised');
	} catch (e) {
		const c = e && (e.code || (e.error && e.error.code));
		check(name, e && e.status === status && (!code || c === code),
			`status ${e && e.status}, code ${c}, message ${e && e.message}`);
	}
}

async function main() {
	const client = new OpenAI({ apiKey: key, baseURL, maxRetries: 0, timeout: 60000 });
	const messages = [{ role: 'user', content: 'Write a function that adds two.' }];

	const chat = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
	const text = chat.choices[0].message.content;
	check('npm_chat_answers', typeof text === 'string' && chat.id.startsWith('chatcmpl-') &&
		chat.object === 'chat.completion' && chat.choices[0].message.role === 'assistant' &&
		chat.usage.completion_tokens >= 1 && chat.usage.completion_tokens <= 12 &&
		chat.usage.total_tokens === chat.usage.prompt_tokens + chat.usage.completion_tokens,
	JSON.stringify(chat));

	const stream = await client.chat.completions.create({ model, messages, max_tokens: 12,
		temperature: 0, stream: true, stream_options: { include_usage: true } });
	let streamed = '', usage = null, finish = null, chunks = 0;
	for await (const c of stream) {
		chunks++;
		if (c.usage) usage = c.usage;
		if (c.choices.length) {
			streamed += c.choices[0].delta.content || '';
			if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
		}
	}
	check('npm_chat_stream_matches_the_whole_answer', streamed === text && chunks >= 2,
		`streamed ${JSON.stringify(streamed)} vs ${JSON.stringify(text)} in ${chunks} chunks`);
	check('npm_chat_stream_ends_with_finish_and_usage', finish === chat.choices[0].finish_reason &&
		usage && usage.completion_tokens === chat.usage.completion_tokens,
	`finish ${finish}, usage ${JSON.stringify(usage)}`);

	const lp = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0,
		logprobs: true, top_logprobs: 3 });
	const lc = lp.choices[0].logprobs && lp.choices[0].logprobs.content;
	check('npm_chat_logprobs_one_per_token', Array.isArray(lc) && lc.length === lp.usage.completion_tokens &&
		lc.every(t => t.logprob <= 0 && t.top_logprobs.length === 3 &&
			t.top_logprobs[0].logprob >= t.top_logprobs[2].logprob),
	JSON.stringify(lp.choices[0].logprobs));

	const prompt = 'def add_two(x):\n    """Return x plus 2.\n    """\n';
	const comp = await client.completions.create({ model, prompt, max_tokens: 16, temperature: 0,
		stop: ['\ndef '] });
	check('npm_completion_answers', comp.object === 'text_completion' &&
		comp.choices[0].text.includes('return x + 2'), JSON.stringify(comp));
	const cs = await client.completions.create({ model, prompt, max_tokens: 16, temperature: 0,
		stop: ['\ndef '], stream: true });
	let ctext = '';
	for await (const c of cs) if (c.choices.length) ctext += c.choices[0].text;
	check('npm_completion_stream_matches', ctext === comp.choices[0].text,
		`${JSON.stringify(ctext)} vs ${JSON.stringify(comp.choices[0].text)}`);

	const models = await client.models.list();
	check('npm_models_lists_the_model', models.data.some(m => m.id === model), JSON.stringify(models.data));

	const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL, maxRetries: 0 });
	await expectError('npm_bad_key_is_401', () => bad.chat.completions.create({ model, messages }), 401,
		'invalid_api_key');
	await expectError('npm_too_long_prompt_is_400', () => client.completions.create({ model,
		prompt: 'hello '.repeat(5000), max_tokens: 4 }), 400, 'context_length_exceeded');
	await expectError('npm_unknown_model_is_404', () => client.chat.completions.create({
		model: 'gpt-nothing', messages }), 404, 'model_not_found');
	await expectError('npm_n_2_is_400', () => client.chat.completions.create({ model, messages, n: 2 }), 400);
}

main().then(() => process.exit(failed ? 1 : 0), e => {
	console.log(`FAIL npm_client: ${e && e.stack}`);
	process.exit(1);
});
