package dev.freshcreds.internal;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The direct supertypes a class file names (its superclass and interfaces), read from the
 * constant pool without loading anything: {@link HookInjector} defines a class after those of
 * its supertypes that it defines too. Not an API.
 */
final class ClassFileSupertypes {
    private static final int MAGIC = 0xCAFEBABE;

    private ClassFileSupertypes() {
    }

    /**
     * The internal names ({@code a/b/C}) of the superclass (absent for {@code java/lang/Object})
     * and of the interfaces.
     *
     * @param classFile the class file
     * @return the supertypes' internal names
     * @throws IOException when the bytes are not a class file
     */
    static List<String> of(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != MAGIC) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort(); // minor version
        in.readUnsignedShort(); // major version
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[] classNameIndex = new int[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1: // Utf8
                    utf8[i] = in.readUTF();
                    break;
                case 7: // Class
                    classNameIndex[i] = in.readUnsignedShort();
                    break;
                case 8: // String
                case 16: // MethodType
                case 19: // Module
                case 20: // Package
                    in.skipBytes(2);
                    break;
                case 15: // MethodHandle
                    in.skipBytes(3);
                    break;
                case 3: // Integer
                case 4: // Float
                case 9: // Fieldref
                case 10: // Methodref
                case 11: // InterfaceMethodref
                case 12: // NameAndType
                case 17: // Dynamic
                case 18: // InvokeDynamic
                    in.skipBytes(4);
                    break;
                case 5: // Long
                case 6: // Double
                    in.skipBytes(8);
                    i++; // takes two entries
                    break;
                default:
                    throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        in.readUnsignedShort(); // access flags
        in.readUnsignedShort(); // this class
        List<String> supertypes = new ArrayList<String>();
        int superClass = in.readUnsignedShort();
        if (superClass != 0) {
            supertypes.add(utf8[classNameIndex[superClass]]);
        }
        int interfaces = in.readUnsignedShort();
        for (int i = 0; i < interfaces; i++) {
            supertypes.add(utf8[classNameIndex[in.readUnsignedShort()]]);
        }
        return supertypes;
    }
}
