using System.Globalization;
using System.Reflection;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>One searched property: its candidates (a choice) or its range, read from ML.NET's search-space attributes.</summary>
internal sealed class SearchDimension
{
    private SearchDimension(PropertyInfo target, object[]? candidates, double min, double max, bool logBase, object? initial)
    {
        Target = target;
        Candidates = candidates;
        (Min, Max, LogBase, Initial) = (min, max, logBase, initial);
    }

    /// <summary>The attribute's default value (<c>DefaultValue</c> of a choice, <c>Init</c> of a range), converted; null when it gives none.</summary>
    public object? Initial { get; }

    /// <summary>The property of <see cref="CspImageClassificationSearchSpace"/> it sets.</summary>
    public PropertyInfo Target { get; }

    /// <summary>The values of a choice (converted to the property's type); null for a range.</summary>
    public object[]? Candidates { get; }

    public double Min { get; }

    public double Max { get; }

    public bool LogBase { get; }

    public string Name => Target.Name;

    /// <summary>Reads the attribute on <paramref name="declared"/> (a property of the user's class); null when it has none.</summary>
    public static SearchDimension? From(PropertyInfo declared, PropertyInfo target)
    {
        if (declared.GetCustomAttribute<Microsoft.ML.SearchSpace.ChoiceAttribute>() is { } choice)
        {
            var values = choice.Candidates.Select(c => Convert(c, target)).Distinct().ToArray();
            if (values.Length == 0) throw new ArgumentException($"Search space: '{declared.Name}' declares no candidates.");
            return new SearchDimension(target, values, 0, 0, false, choice.DefaultValue is { } d ? Convert(d, target) : null);
        }
        if (declared.GetCustomAttribute<Microsoft.ML.SearchSpace.BooleanChoiceAttribute>() is { } boolean)
        {
            if (target.PropertyType != typeof(bool)) throw new ArgumentException($"Search space: '{declared.Name}' is a boolean choice, but {target.Name} is {target.PropertyType.Name}.");
            return new SearchDimension(target, [false, true], 0, 0, false, boolean.GetType().GetProperty("DefaultValue")?.GetValue(boolean) as bool?);
        }
        if (declared.GetCustomAttribute<Microsoft.ML.SearchSpace.RangeAttribute>() is { } range)
        {
            if (target.PropertyType != typeof(double) && target.PropertyType != typeof(int))
                throw new ArgumentException($"Search space: '{declared.Name}' is a range, but {target.Name} is {target.PropertyType.Name}; declare a choice.");
            double min = System.Convert.ToDouble(range.Min, CultureInfo.InvariantCulture), max = System.Convert.ToDouble(range.Max, CultureInfo.InvariantCulture);
            if (!(min <= max) || !double.IsFinite(min) || !double.IsFinite(max))
                throw new ArgumentException($"Search space: '{declared.Name}' has the range [{min}, {max}].");
            if (range.LogBase && !(min > 0)) throw new ArgumentException($"Search space: '{declared.Name}' is a log range, so its minimum must be positive (got {min}).");
            object? init = range.Init is null ? null : target.PropertyType == typeof(int)
                ? (int)Math.Round(System.Convert.ToDouble(range.Init, CultureInfo.InvariantCulture))
                : System.Convert.ToDouble(range.Init, CultureInfo.InvariantCulture);
            return new SearchDimension(target, null, min, max, range.LogBase, init);
        }
        return null;
    }

    /// <summary>Draws a value from a point of the unit interval.</summary>
    public object Sample(double u)
    {
        if (Candidates is not null) return Candidates[Math.Min(Candidates.Length - 1, (int)(u * Candidates.Length))];
        double value = LogBase ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
        return Target.PropertyType == typeof(int) ? (int)Math.Round(value) : value;
    }

    /// <summary>Whether a value lies in this dimension (a candidate, or inside the range).</summary>
    public bool Contains(object value) => Candidates is not null
        ? Candidates.Contains(value)
        : System.Convert.ToDouble(value, CultureInfo.InvariantCulture) is var v && v >= Min * (1 - 1e-12) && v <= Max * (1 + 1e-12);

    private static object Convert(object candidate, PropertyInfo target)
    {
        var type = target.PropertyType;
        try
        {
            if (type.IsEnum)
            {
                var value = candidate is string s ? Enum.Parse(type, s, ignoreCase: true) : Enum.ToObject(type, candidate);
                if (!Enum.IsDefined(type, value)) throw new ArgumentException($"{value} is not one of {string.Join(", ", Enum.GetNames(type))}.");
                return value;
            }
            return System.Convert.ChangeType(candidate, type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or ArgumentException or OverflowException)
        {
            throw new ArgumentException($"Search space: the candidate '{candidate}' of '{target.Name}' is not a {type.Name}.", e);
        }
    }
}
