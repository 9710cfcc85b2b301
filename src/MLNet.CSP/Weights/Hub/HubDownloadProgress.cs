namespace MLNet.CSP.Weights.Hub;

/// <summary>Progress of one file's download.</summary>
/// <param name="File">The repository and file, e.g. <c>timm/cspresnext50.ra_in1k/model.safetensors</c>.</param>
/// <param name="Bytes">Bytes in the cache so far (a resumed download starts where the last one stopped).</param>
/// <param name="Total">The file's size, when the Hub says it.</param>
public sealed record HubDownloadProgress(string File, long Bytes, long? Total);
