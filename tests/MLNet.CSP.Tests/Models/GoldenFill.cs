using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>
/// The deterministic weight fill of TestData/golden/PROTOCOL.md: every state-dict entry is a function of its key
/// and flat element index, so a port with the reference's keys and shapes computes the reference's outputs.
/// </summary>
internal static class GoldenFill
{
    public static uint Fnv1a(string key)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(key)) h = unchecked((h ^ b) * 16777619);
        return h;
    }

    public static double Base(uint h, long index)
    {
        uint x = unchecked(h + (uint)index * 0x9E3779B9);
        x ^= x >> 16;
        x = unchecked(x * 0x85EBCA6B);
        x ^= x >> 13;
        x = unchecked(x * 0xC2B2AE35);
        x ^= x >> 16;
        return (x >> 8) / 8388608.0 - 1.0;
    }

    /// <summary>The values of one state-dict entry.</summary>
    public static float[] Values(string key, long[] shape)
    {
        long numel = shape.Aggregate(1L, (a, b) => a * b);
        var values = new float[numel];
        uint h = Fnv1a(key);
        Func<double, double> rule;
        if (key.EndsWith("running_var", StringComparison.Ordinal)) rule = b => 1.0 + 0.5 * b * b;
        else if (key.EndsWith("running_mean", StringComparison.Ordinal)) rule = b => 0.1 * b;
        else if (shape.Length >= 2)
        {
            long fanIn = numel / shape[0];
            double scale = Math.Sqrt(3.0) * Math.Sqrt(2.0 / fanIn);
            rule = b => b * scale;
        }
        else if (key.EndsWith(".weight", StringComparison.Ordinal)) rule = b => 1.0 + 0.2 * b;
        else if (key.EndsWith(".bias", StringComparison.Ordinal)) rule = b => 0.1 * b;
        else throw new InvalidOperationException($"No fill rule for '{key}'.");
        for (long i = 0; i < numel; i++) values[i] = (float)rule(Base(h, i));
        return values;
    }

    /// <summary>Fills every entry of the module's state dict in place.</summary>
    public static void Apply(nn.Module module)
    {
        using var _ = torch.no_grad();
        foreach (var (key, tensor) in module.state_dict())
        {
            if (!tensor.is_floating_point())
            {
                tensor.zero_();
                continue;
            }
            using var values = torch.tensor(Values(key, tensor.shape), tensor.shape);
            tensor.copy_(values);
        }
    }

    /// <summary>The protocol's input: values of the key <c>input:A</c> over the whole tensor.</summary>
    public static Tensor Input(string name, params long[] shape) => torch.tensor(Values2(name, shape), shape);

    private static float[] Values2(string name, long[] shape)
    {
        long numel = shape.Aggregate(1L, (a, b) => a * b);
        uint h = Fnv1a(name);
        var values = new float[numel];
        for (long i = 0; i < numel; i++) values[i] = (float)Base(h, i);
        return values;
    }
}
