"""The object store as a running thing: the embedded SeaweedFS (`seaweed`) and the
conformance matrix any S3 endpoint is held to (`conformance`)."""
