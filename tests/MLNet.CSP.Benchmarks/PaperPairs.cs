using MLNet.CSP.Models.DenseNets;
using MLNet.CSP.Models;

namespace MLNet.CSP.Benchmarks;

/// <summary>The model pairs of the paper reproduction and the small CSPDenseNet ablation variants.</summary>
internal static class PaperPairs
{
    /// <summary>Plain network, its CSP counterpart, and what the paper reports for the pair (at 256x256, BFLOPs = 2 x GMACs).</summary>
    public static readonly (string Plain, string Csp, string Paper)[] Pairs =
    [
        ("resnet50", "cspresnet50", ""),
        ("resnext50_32x4d", "cspresnext50", "ResNeXt-50 10.11 vs CSPResNeXt-50 7.93 BFLOPs (-22%)"),
        ("darknet53", "cspdarknet53", "DarkNet-53 18.57 vs CSPDarkNet-53 13.07 BFLOPs (-30%)"),
        ("densenet121", "cspdensenet121", ""),
        ("densenet169", "cspdensenet169", ""),
        ("densenet201", "cspdensenet201", "DenseNet-201-Elastic 8.77 vs CSPDenseNet-201-Elastic 7.13 BFLOPs (-19%)"),
        ("densenet121", "cspdensenet121_fusionfirst", ""),
        ("densenet121", "cspdensenet121_fusionlast", ""),
        ("densenet121", "cspdensenet121_gamma25", ""),
    ];

    /// <summary>Width and depth multipliers of the ablation's small DenseNet-121.</summary>
    public const double Width = 0.25, Depth = 0.5;

    /// <summary>The small plain DenseNet and every fusion x gamma CSPDenseNet built on it, by registered name.</summary>
    public static IReadOnlyList<string> Ablation { get; } = RegisterAblation();

    private static List<string> RegisterAblation()
    {
        var dense = ((DenseNetConfig)Backbones.GetConfig("densenet121")).Scale(Width, Depth);
        var variants = new List<(string, IBackboneConfig)> { ("densenet121_small", dense) };
        foreach (var fusion in new[] { CspFusion.Csp, CspFusion.FusionFirst, CspFusion.FusionLast })
            foreach (var gamma in new[] { 0.5, 0.25 })
                variants.Add(($"cspdensenet121_small_{fusion.ToString().ToLowerInvariant()}_g{gamma * 100:F0}", new CspDenseNetConfig(dense, fusion, gamma)));
        foreach (var (name, config) in variants)
            if (!Backbones.Contains(name)) Backbones.Register(name, config);
        return variants.Select(v => v.Item1).ToList();
    }
}
