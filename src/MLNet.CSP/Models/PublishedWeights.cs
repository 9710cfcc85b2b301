namespace MLNet.CSP.Models;

/// <summary>A published checkpoint on the Hugging Face Hub: repository id (e.g. <c>timm/cspresnext50.ra_in1k</c>) and file.</summary>
/// <param name="Repository">The Hub repository id, <c>owner/name</c>; timm's names carry the pretrained tag after the dot.</param>
/// <param name="File">The weights file in that repository.</param>
public sealed record PublishedWeights(string Repository, string File = "model.safetensors");
