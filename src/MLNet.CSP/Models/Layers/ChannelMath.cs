namespace MLNet.CSP.Models.Layers;

/// <summary>Channel rounding shared by the width multipliers.</summary>
public static class ChannelMath
{
    /// <summary>
    /// Rounds <paramref name="value"/> to a multiple of <paramref name="divisor"/> (at least one divisor), never
    /// dropping more than 10% (timm's <c>make_divisible</c>).
    /// </summary>
    public static int MakeDivisible(double value, int divisor = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(divisor, 1);
        int rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * value) rounded += divisor;
        return rounded;
    }

    /// <summary>Scales a block count by a depth multiplier (truncating, at least one).</summary>
    public static int ScaleDepth(int depth, double multiplier) => Math.Max(1, (int)(depth * multiplier));
}
