// The runtime honours this attribute by name: the declaring assembly may use non-public members of the named
// assembly. Paired with compile-time publicized references (build/PublicizeMLNet.targets).
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>Grants this assembly access to the non-public members of another assembly.</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        /// <summary>The assembly whose internals are used.</summary>
        public string AssemblyName { get; } = assemblyName;
    }
}
