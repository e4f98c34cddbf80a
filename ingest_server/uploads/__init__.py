"""The upload flow: register a manifest, PUT parts to presigned URLs, complete."""
