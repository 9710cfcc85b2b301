using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>Test helpers that make a freshly built network less trivial.</summary>
internal static class ModelRandomisation
{
    /// <summary>Random affine parameters and running statistics for every BatchNorm (so folding them changes the weights).</summary>
    public static void RandomiseBatchNorms(nn.Module model)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not TorchSharp.Modules.BatchNorm2d bn) continue;
            bn.weight!.copy_(torch.rand_like(bn.weight) + 0.5);
            bn.bias!.copy_(torch.randn_like(bn.bias) * 0.1);
            bn.running_mean!.copy_(torch.randn_like(bn.running_mean) * 0.1);
            bn.running_var!.copy_(torch.rand_like(bn.running_var) + 0.5);
        }
    }
}
