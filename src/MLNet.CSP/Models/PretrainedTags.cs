namespace MLNet.CSP.Models;

/// <summary>
/// timm's pretrained tags: a name may carry one after a dot (<c>cspresnext50.ra_in1k</c>, <c>resnet50.tv2_in1k</c>), naming the
/// Hub repository <c>timm/{architecture}.{tag}</c>; without one, the architecture's default tag (its
/// <see cref="PretrainedConfig.Weights"/>). The evaluation preprocessing of tags other than the default comes from timm's
/// <c>default_cfgs</c> (input size, crop, interpolation), where this table knows the tag.
/// </summary>
public static class PretrainedTags
{
    private static readonly Dictionary<string, (int Size, double Crop, Interpolation Interpolation)> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["resnet50.tv_in1k"] = (224, 0.875, Interpolation.Bilinear),
        ["resnet50.tv2_in1k"] = (176, 0.875, Interpolation.Bilinear),
        ["resnet50.a1_in1k"] = (224, 0.95, Interpolation.Bicubic),
        ["resnet50.a1h_in1k"] = (176, 0.9, Interpolation.Bicubic),
        ["resnext50_32x4d.tv_in1k"] = (224, 0.875, Interpolation.Bilinear),
        ["resnext50_32x4d.tv2_in1k"] = (176, 0.875, Interpolation.Bilinear),
        ["resnext50_32x4d.a1h_in1k"] = (224, 0.95, Interpolation.Bicubic),
        ["densenet121.ra_in1k"] = (224, 0.875, Interpolation.Bicubic),
    };

    /// <summary>The architecture and the tag (null without one) of a name such as <c>cspresnext50.ra_in1k</c>.</summary>
    public static (string Architecture, string? Tag) Split(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int dot = name.IndexOf('.');
        return dot < 0 ? (name, null) : (name[..dot], name[(dot + 1)..]);
    }

    /// <summary>Where the weights of a name live (default tag without one), or null when the architecture has none published.</summary>
    public static PublishedWeights? Weights(string name)
    {
        var (architecture, tag) = Split(name);
        var config = Backbones.GetConfig(architecture);
        if (tag is null) return config.Pretrained.Weights;
        if (tag.Length == 0 || tag.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
            throw new ArgumentException($"'{tag}' is not a pretrained tag (letters, digits, '_' and '-', as in '{architecture}.ra_in1k').", nameof(name));
        return new PublishedWeights($"timm/{Canonical(architecture)}.{tag}");
    }

    /// <summary>The evaluation preprocessing of a name's weights: the tag's where known, else the architecture's default.</summary>
    public static PretrainedConfig Preprocessing(string name)
    {
        var (architecture, tag) = Split(name);
        var config = Backbones.GetConfig(architecture).Pretrained;
        if (tag is null) return config;
        var weights = Weights(name);
        return Known.TryGetValue($"{Canonical(architecture)}.{tag}", out var known)
            ? config with { InputSize = known.Size, CropFraction = known.Crop, Interpolation = known.Interpolation, Weights = weights }
            : config with { Weights = weights };
    }

    /// <summary>The registered names with published weights (their default tag).</summary>
    public static IReadOnlyList<string> WithWeights() =>
        [.. Backbones.Names.Select(n => (Name: n, Backbones.GetConfig(n).Pretrained.Weights)).Where(x => x.Weights is not null).Select(x => $"{x.Name} ({x.Weights!.Repository})")];

    private static string Canonical(string architecture) =>
        Backbones.Names.First(n => string.Equals(n, architecture, StringComparison.OrdinalIgnoreCase));
}
