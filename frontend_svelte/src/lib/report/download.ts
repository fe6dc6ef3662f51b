/**
 * Saving a file the API made (a plan's report, a zip) once its job is done:
 * the name from `Content-Disposition`, the bytes through an object URL.
 */

/** The file name a `Content-Disposition` header gives (RFC 6266: `filename*` first), or null. */
export function dispositionFilename(header: string | null): string | null {
	if (!header) return null;
	const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
	if (extended) {
		try {
			return decodeURIComponent(extended[1].trim());
		} catch {
			// fall back to the plain name
		}
	}
	const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)/.exec(header);
	if (!plain) return null;
	const name = (plain[1] ?? plain[2] ?? '').replace(/\\(.)/g, '$1').trim();
	return name || null;
}

export interface DownloadedFile {
	blob: Blob;
	filename: string;
}

/** Reads a finished answer as a file to save. */
export async function readFile(response: Response, fallback: string): Promise<DownloadedFile> {
	const blob = await response.blob();
	return {
		blob,
		filename: dispositionFilename(response.headers.get('Content-Disposition')) ?? fallback
	};
}

/** Hands the file to the browser's downloads. */
export function saveFile(file: DownloadedFile): void {
	const url = URL.createObjectURL(file.blob);
	const link = document.createElement('a');
	link.href = url;
	link.download = file.filename;
	link.rel = 'noopener';
	document.body.append(link);
	link.click();
	link.remove();
	setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
